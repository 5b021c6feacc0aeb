"""bench: figures measured against a baseline in the same run (`python -m bench`).

The machine is noisy, so each figure comes with a baseline measured in the same run, rounds of both
interleaved; the ratio figure/baseline is the number to watch, not the absolute rates.

First entry, `fastagi-dnis`: FastAGI `dnis` sessions per second. The servers run in child processes
(`bench.server`) so the load generator (`bench.agi_client`, which plays Asterisk) never shares an
event loop or a GIL with the server it measures.
"""

from .runner import BenchConfig, Result, run

__all__ = ["BenchConfig", "Result", "run"]
