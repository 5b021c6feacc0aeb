"""Typed keys of the aiohttp application and request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from store import Store, User

STORE = web.AppKey("store", Store)
RECORDINGS_DIR = web.AppKey("recordings_dir", Path)
TOKEN_TTL = web.AppKey("token_ttl", timedelta)
HEALTH_CHECKS = web.AppKey("health_checks", dict[str, Callable[[], Awaitable[bool]]])
USER = web.RequestKey("user", User)
LIVE = web.AppKey("live", object)  # the live view (web.live.LiveView); absent when nothing feeds it
