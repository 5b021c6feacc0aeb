"""Typed keys of the aiohttp application and request."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from store import Store, User

from .ratelimit import LoginLimiter
from .sessions import Credential, SessionPolicy

Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

STORE = web.AppKey("store", Store)
RECORDINGS_DIR = web.AppKey("recordings_dir", Path)
TOKEN_TTL = web.AppKey("token_ttl", timedelta)
HEALTH_CHECKS = web.AppKey("health_checks", dict[str, Callable[[], Awaitable[bool]]])
USER = web.RequestKey("user", User)
CREDENTIAL = web.RequestKey("credential", Credential)  # how USER authenticated (bearer or session)
SESSIONS = web.AppKey("session_policy", SessionPolicy)
LIMITER = web.AppKey("login_limiter", LoginLimiter)  # failed logins per account and address, in memory
TRUSTED_PROXIES = web.AppKey("trusted_proxies", Networks)
LIVE = web.AppKey("live", object)  # the live view (web.live.LiveView); absent when nothing feeds it
POPS = web.AppKey("pops", object)  # the agents' screen pops (web.desk.PopsView); absent when nothing feeds them
ORIGINATOR = web.AppKey("originator", object)  # places supervisors' ChanSpy calls (web.supervise); optional
