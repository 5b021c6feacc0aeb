"""The portal: server-rendered pages in French and English over the same store functions and scopes
as the API (one module per group of pages; templates in web/templates, scripts and styles in
web/static). Routes are registered in web.app; each module documents its own in OPENAPI_PATHS."""

from __future__ import annotations

from . import admin, admin_directory, admin_queues, calls, desk, directory, live, login, reports, static, stats, taken
from .render import install

DOCUMENTED = (login, calls, taken, stats, reports, directory, live, desk, admin, admin_directory, admin_queues, static)

__all__ = ["DOCUMENTED", "admin", "admin_directory", "admin_queues", "calls", "desk", "directory", "install", "live",
           "login", "reports", "static", "stats",
           "taken"]
