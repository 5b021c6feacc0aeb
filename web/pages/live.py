"""The live wallboard (supervisors and admins): an empty frame that web/static/live.js fills from the
Server-Sent Events of GET /api/live — a row per queue (callers waiting and the longest wait, its agents
by state, its day so far: offered, answered, abandoned, service level, waits; flagged when under its
target or over its threshold), calls in progress,
agents and their states, the messages whose dispatch reached nobody (an admin takes one in hand), and
for an agent on a call, listen / whisper / barge buttons (POST
/api/supervise) when the viewer has a phone. The words the script shows come from the page (data-labels), in the
viewer's language: the catalogue stays the one place for them."""

from __future__ import annotations

import json

from aiohttp import web

from store import presence

from .render import STAFF, Page, html_operation, page

LABEL_KEYS = (
    "live.connecting", "live.connected", "live.reconnecting", "live.none",
    "agent.ready", "agent.ringing", "agent.on_call", "agent.wrap_up", "agent.not_ready",
    "callstate.ringing", "callstate.ivr", "callstate.queued", "callstate.talking",
    "supervise.listen", "supervise.whisper", "supervise.barge", "supervise.placed", "supervise.failed",
    "live.alert_ack", "live.alert_failed", "wallboard.sl_detail", "wallboard.wait_over",
)


@page(*STAFF)
async def live_page(view: Page) -> web.StreamResponse:
    labels = {key: view.t(key) for key in LABEL_KEYS}
    # A not-ready agent's reason is a code (AMI's and the store's): shown as its label in the viewer's language.
    reasons = await view.store.read(presence.list_reasons)
    labels.update({f"reason.{r.code}": r.label(view.t.lang) for r in reasons})
    labels["reason.unavailable"] = view.t("live.unavailable")
    # Listen, whisper, barge (POST /api/supervise) ring the viewer's own phone: offered only with one.
    phone = view.user.agent_id if view.user is not None else None
    # An admin takes a failed message in hand from here (POST /api/messages/{id}/acknowledge).
    admin = "1" if view.user is not None and view.user.role == "admin" else ""
    return view.render("live.html", labels=json.dumps(labels, ensure_ascii=False), phone=phone or "", admin=admin)


OPENAPI_PATHS: dict = {
    "/live": {"get": html_operation("livePage", "The live wallboard (supervisors and admins), fed by GET /api/live")},
}
