"""agi: Asterisk asks us. The FastAGI server, its protocol and its routes."""

from .protocol import AGIError, ChannelHungUp, CommandError, HeaderError, ProtocolError, Reply
from .router import Router
from .server import FastAGIServer, SessionObserver
from .session import AGISession

__all__ = [
    "AGIError", "AGISession", "ChannelHungUp", "CommandError", "FastAGIServer", "HeaderError",
    "ProtocolError", "Reply", "Router", "SessionObserver",
]
