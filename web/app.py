"""The aiohttp application: routes registered here, explicitly."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry

from store import Store

from . import (
    access,
    admin,
    agents,
    auth,
    calls,
    confirm,
    desk,
    directory,
    health,
    messages,
    metrics,
    oncall,
    openapi,
    pages,
    recordings,
    reports,
    script,
    security,
    sms_delivery,
    stats,
    supervise,
    wallboard,
)
from .keys import HEALTH_CHECKS, LIVE, ORIGINATOR, POPS, RECORDINGS_DIR, STORE, TOKEN_TTL
from .live import LiveView, live_stream

log = logging.getLogger(__name__)


@web.middleware
async def json_errors(request: web.Request, handler):
    """Every error leaves as JSON with a message; a fault is logged, never shown."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type != "application/json" and exc.status >= 400:
            exc.text = json.dumps({"error": exc.reason})
            exc.content_type = "application/json"
        raise
    except Exception:
        log.exception("web: %s %s failed", request.method, request.path)
        raise web.HTTPInternalServerError(text='{"error": "internal error"}',
                                          content_type="application/json") from None


def make_app(store: Store, recordings_dir: Path, *, token_ttl: timedelta = timedelta(hours=12),
             health_checks: dict[str, Callable[[], Awaitable[bool]]] | None = None,
             live: LiveView | None = None,
             security_settings: security.SecuritySettings | None = None,
             registry: CollectorRegistry | None = None, metrics_token: str = "",
             admin_settings: admin.AdminSettings | None = None, pops: desk.PopsView | None = None,
             originator: supervise.SpyOriginator | None = None,
             messaging: messages.MessagingSettings | None = None,
             agent_presence: agents.AgentPresence | None = None,
             live_refresh_s: float = wallboard.REFRESH_S) -> web.Application:
    # Request id and latency outermost (they see every answer); who the client is once the guard has
    # read the proxy's headers.
    app = web.Application(middlewares=[access.request_ids, metrics.http_metrics, security.guard, access.identify,
                                       json_errors, auth.auth_middleware],
                          client_max_size=security.MAX_BODY)
    security.install(app, security_settings or security.SecuritySettings())
    metrics.install(app, store, registry, metrics_token)
    app.on_response_prepare.append(access.echo_request_id)
    app[STORE] = store
    recordings.install(app)  # the recordings' audit log
    app[RECORDINGS_DIR] = recordings_dir
    app[TOKEN_TTL] = token_ttl
    app[HEALTH_CHECKS] = {"store": store.writable, **(health_checks or {})}
    if live is not None:
        app[LIVE] = live
    app[wallboard.DAYS] = wallboard.QueueDays(store, live_refresh_s)  # the wallboard's day figures, shared
    if pops is not None:
        app[POPS] = pops
    if originator is not None:
        app[ORIGINATOR] = originator
    app[admin.SETTINGS] = admin_settings or admin.AdminSettings()
    app[messages.MESSAGING] = messaging or messages.MessagingSettings()
    if agent_presence is not None:
        app[agents.PRESENCE] = agent_presence
    app.router.add_post("/api/login", auth.login)
    app.router.add_post("/api/session", auth.create_session)
    app.router.add_get("/api/session", auth.show_session)
    app.router.add_post("/api/logout", auth.logout)
    app.router.add_get("/api/calls", calls.list_calls)
    app.router.add_get("/api/calls/{linkedid}", calls.get_call)
    app.router.add_get("/api/recordings/access", recordings.list_recording_access)  # before {id}
    app.router.add_get("/api/recordings/{id}", recordings.get_recording)
    app.router.add_get("/api/stats", stats.get_stats)
    app.router.add_get("/api/live", live_stream)
    app.router.add_get("/api/agent/events", desk.agent_events)
    app.router.add_post("/api/calls/{linkedid}/wrapup", desk.set_wrapup)
    app.router.add_get("/api/calls/{linkedid}/script", script.get_call_script)
    app.router.add_post("/api/calls/{linkedid}/script", script.take_message)
    app.router.add_post("/api/supervise", supervise.supervise)
    app.router.add_get("/api/contacts", directory.list_contacts)
    app.router.add_get("/api/infopages", directory.list_infopages)
    app.router.add_get("/api/oncall", oncall.on_call)
    app.router.add_get("/api/oncall/shifts", oncall.shifts)
    app.router.add_get("/api/oncall/schedules", oncall.list_schedules)
    app.router.add_get("/api/oncall.ics", oncall.feed)
    app.router.add_post("/api/oncall/feed", oncall.new_feed_token)
    app.router.add_get("/api/messages", messages.list_messages)
    app.router.add_post("/api/messages", messages.create_message)
    app.router.add_get("/api/messages/{id}", messages.get_message)
    app.router.add_post("/api/messages/{id}/acknowledge", messages.acknowledge)
    app.router.add_get("/api/messages/confirm/{token}", confirm.confirm_page)
    app.router.add_post("/api/messages/confirm/{token}", confirm.confirm)
    app.router.add_get("/api/dispatch/protocols/{client}", messages.get_protocol)
    app.router.add_put("/api/dispatch/protocols/{client}", messages.put_protocol)
    app.router.add_get("/api/sms/inbound", confirm.sms_inbound)
    app.router.add_get("/api/sms/delivery", sms_delivery.sms_delivery_report)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/metrics", metrics.metrics_endpoint)
    app.router.add_get("/openapi.json", openapi.openapi_json)
    for method, path, handler in reports.ROUTES:  # custom and daily reports (web/reports.py)
        app.router.add_route(method, path, handler)
    for method, path, handler in agents.ROUTES:  # agents' logins, pauses, states (web/agents.py)
        app.router.add_route(method, path, handler)
    for method, path, handler in admin.ROUTES:  # the admin API (web/admin), listed there
        app.router.add_route(method, path, handler)
    # The portal's pages (web/pages): HTML over the same store functions and scopes.
    pages.install(app)
    app.router.add_get("/", pages.login.home)
    app.router.add_get("/login", pages.login.login_page)
    app.router.add_post("/login", pages.login.login_form)
    app.router.add_post("/logout", pages.login.logout)
    app.router.add_get("/language", pages.login.choose_language)
    app.router.add_get("/calls", pages.calls.calls_page)
    app.router.add_get("/calls/{linkedid}", pages.calls.call_page)
    app.router.add_get("/messages", pages.taken.messages_page)
    app.router.add_get("/messages/{id}", pages.taken.message_page)
    app.router.add_get("/stats", pages.stats.stats_page)
    app.router.add_get("/reports", pages.reports.reports_page)
    app.router.add_get("/live", pages.live.live_page)
    app.router.add_get("/agent", pages.desk.desk_page)
    app.router.add_get("/oncall", pages.directory.oncall_page)
    app.router.add_get("/infopages", pages.directory.infopages_page)
    app.router.add_get("/admin/clients", pages.admin.clients_page)
    app.router.add_get("/admin/dids", pages.admin.dids_page)
    app.router.add_get("/admin/menus", pages.admin.menus_page)
    app.router.add_get("/admin/menus/{name}", pages.admin.menu_page)
    app.router.add_get("/admin/clients/{code}/directory", pages.admin_directory.directory_page)
    app.router.add_get("/admin/users", pages.admin.users_page)
    app.router.add_get("/admin/agents", pages.admin.agents_page)
    app.router.add_get("/admin/queues", pages.admin_queues.queues_page)
    app.router.add_get("/admin/asterisk", pages.admin.asterisk_page)
    app.router.add_get("/static/{name}", pages.static.static_file)
    return app
