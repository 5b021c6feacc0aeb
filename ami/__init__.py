"""ami: Asterisk tells us. The AMI connection, the call tracker, the listener that writes calls and the
reconciliation with Asterisk's CEL that recovers the calls AMI missed."""

from .calls import CallState, CallTracker, FinishedCall
from .client import AMIClient, AMIError
from .listener import CallListener, make_client
from .reconcile import Reconciler

__all__ = ["AMIClient", "AMIError", "CallListener", "CallState", "CallTracker", "FinishedCall", "Reconciler",
           "make_client"]
