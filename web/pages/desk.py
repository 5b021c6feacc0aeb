"""The agent's desk (agents only): a frame that web/static/desk.js fills from the agent's own stream of
screen pops (GET /api/agent/events) — the caller, their earlier calls, the client and its InfoPages,
the IVR path — with a wrap-up form (disposition code and notes) sent to POST /api/calls/{id}/wrapup
with the session's CSRF token. The words the script shows come from the page (data-labels), in the
viewer's language."""

from __future__ import annotations

import json

from aiohttp import web

from callscript import KINDS
from store.desk import MAX_NOTES, WRAPUP_CODES

from .render import AGENT, Page, html_operation, page

LABEL_KEYS = (
    "desk.connecting", "desk.connected", "desk.reconnecting", "desk.waiting", "desk.ended", "desk.saved",
    "desk.unknown_caller", "desk.known_caller", "desk.no_earlier", "desk.no_infopages", "desk.no_ivr",
    "desk.save_failed", "desk.callback_of", "desk.callback_asked", "desk.callback_dialling", "desk.callback_answered",
    "desk.callback_not_reached",
    "script.choose", "script.yes", "script.no", "script.required", "script.taken", "script.already",
    *(f"script.error_{kind}" for kind in KINDS if kind != "required"),
    "script.refused", "script.failed", "script.language", "calls.caller", "calls.client", "calls.queue", "call.at",
    *(f"disposition.{d}" for d in ("answered", "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours",
                                   "unknown_did", "failed", "in_progress")),
    *(f"wrapup.{code}" for code in WRAPUP_CODES),
)


@page(*AGENT)
async def desk_page(view: Page) -> web.StreamResponse:
    labels = {key: view.t(key) for key in LABEL_KEYS}
    return view.render("desk.html", labels=json.dumps(labels, ensure_ascii=False), codes=WRAPUP_CODES,
                       max_notes=MAX_NOTES, agent_id=view.user.agent_id if view.user else "")


OPENAPI_PATHS: dict = {
    "/agent": {"get": html_operation("deskPage", "The agent's desk (agents only): the screen pop of the call "
                                                 "that reaches them, fed by GET /api/agent/events, and its wrap-up")},
}
