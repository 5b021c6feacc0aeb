"""The FastAGI routes; permanence wires them into a Router by name."""

from .dnis import DnisRoute

__all__ = ["DnisRoute"]
