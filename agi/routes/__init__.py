"""The FastAGI routes; permanence wires them into a Router by name."""

from .agent import AgentRoute
from .checkin import CheckinPolicy, CheckinRoute
from .dispatch import DispatchRoute
from .dnis import DnisRoute
from .ivr import IvrRoute, MenuBook
from .oncall import OncallRoute, OncallSettings
from .overflow import OverflowRoute

__all__ = ["AgentRoute", "CheckinPolicy", "CheckinRoute", "DispatchRoute", "DnisRoute", "IvrRoute", "MenuBook",
           "OncallRoute", "OncallSettings", "OverflowRoute"]
