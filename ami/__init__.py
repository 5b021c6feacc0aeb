"""ami: Asterisk tells us. The AMI connection, the call tracker and the listener that writes calls."""

from .calls import CallState, CallTracker, FinishedCall
from .client import AMIClient, AMIError
from .listener import CallListener, make_client

__all__ = ["AMIClient", "AMIError", "CallListener", "CallState", "CallTracker", "FinishedCall", "make_client"]
