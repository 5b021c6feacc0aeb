"""The FastAGI routes; permanence wires them into a Router by name."""

from .checkin import CheckinPolicy, CheckinRoute
from .dnis import DnisRoute
from .ivr import IvrRoute, MenuBook

__all__ = ["CheckinPolicy", "CheckinRoute", "DnisRoute", "IvrRoute", "MenuBook"]
