"""permanence: wiring, configuration and command line of the back end.

Nothing but the entry point imports this package; the working packages (agi, ami, web, dialplan,
ivr, store, recordings) receive plain values from it.
"""

__version__ = "0.1.0"
