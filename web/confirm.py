"""What recipients send back, without an account: SMS replies (from Kannel's sms-service, with its shared
token) and the confirmation links of dispatch emails (the link's token is the credential).

A link's GET only shows a button; the POST it sends confirms. Mail scanners and link previews fetch
every link of an email: a GET that confirmed would mark messages delivered that nobody read.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re

from aiohttp import web

from store import NumberError, dispatch, to_e164
from store.clock import now_iso

from .keys import STORE
from .messages import MESSAGING

log = logging.getLogger(__name__)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# What the sender of a reply is told, in French and English (we know their number, not their language).
SMS_ANSWERS = {
    "confirmed": "Merci, message confirmé. / Thank you, message confirmed.",
    "wrong_code": "Code incorrect, message non confirmé. / Wrong code, message not confirmed.",
    "late": "Trop tard : le message est passé à quelqu'un d'autre. / Too late: the message went on to someone else.",
}
_PAGES = {
    "ask": ("Confirmer la réception / Confirm receipt",
            "Confirmez-vous avoir reçu ce message ? / Do you confirm you received this message?"),
    "confirmed": ("Message confirmé / Message confirmed", "Merci, la réception est confirmée. / Thank you, "
                  "receipt is confirmed."),
    "late": ("Trop tard / Too late", "Ce lien a expiré : le message a été transmis à quelqu'un d'autre. / "
             "This link has expired: the message went on to someone else."),
}


def _not_found() -> web.HTTPNotFound:
    return web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")


def require_gateway_token(request: web.Request) -> None:
    """The SMS gateway's routes want its shared token (`?token=`); a wrong one, none, or none configured
    is 404, as a route that does not exist — and nothing is read or written."""
    expected = request.app[MESSAGING].inbound_token
    given = request.query.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise _not_found()  # no hint that the route exists


async def sms_inbound(request: web.Request) -> web.Response:
    """GET /api/sms/inbound?token=&from=&to=&text=: an SMS that came in (a confirmation code, maybe)."""
    require_gateway_token(request)
    settings = request.app[MESSAGING]
    try:
        sender = to_e164(request.query.get("from", ""), settings.default_region)
    except NumberError:
        return web.Response(status=400, text="from: not a phone number\n")
    text = request.query.get("text", "")[:1000]
    outcome = await request.app[STORE].write(lambda db: dispatch.sms_reply(db, sender, text, now_iso()))
    log.info("sms: reply from %s: %s (message %s)", sender, outcome.result, outcome.message_id)
    if outcome.result == "confirmed":
        settings.wake()
    # smsbox sends this back to the sender as an SMS; nothing for a number we never wrote to.
    return web.Response(text=SMS_ANSWERS.get(outcome.result, ""), content_type="text/plain", charset="utf-8")


def _token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not TOKEN.match(token):
        raise _not_found()
    return hashlib.sha256(token.encode()).hexdigest()


def _page(kind: str, form: bool = False) -> web.Response:
    title, text = (html.escape(part) for part in _PAGES[kind])
    button = ('<form method="post"><button type="submit">Confirmer / Confirm</button></form>' if form else "")
    body = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{text}</p>{button}</body></html>")
    return web.Response(text=body, content_type="text/html")


async def confirm_page(request: web.Request) -> web.Response:
    """GET /api/messages/confirm/{token}: the page with the button that confirms."""
    hashed = _token(request)
    attempt = await request.app[STORE].read(
        lambda db: db.execute("SELECT 1 FROM message_history WHERE token_hash = ?", [hashed]).fetchone())
    if attempt is None:
        raise _not_found()
    return _page("ask", form=True)


async def confirm(request: web.Request) -> web.Response:
    """POST /api/messages/confirm/{token}: confirms, if the email's step is still waiting."""
    hashed = _token(request)
    outcome = await request.app[STORE].write(lambda db: dispatch.email_confirm(db, hashed, now_iso()))
    if outcome.result == "unknown":
        raise _not_found()
    if outcome.result == "confirmed":
        request.app[MESSAGING].wake()
    return _page("confirmed" if outcome.result == "confirmed" else "late")


OPENAPI_PATHS: dict = {
    "/api/sms/inbound": {"get": {
        "operationId": "smsInbound", "tags": ["messages"], "security": [],
        "summary": "An SMS that came in, from the gateway's sms-service (shared token, no account)",
        "description": "A reply ending with the code of an SMS still waiting confirms its message; a wrong or "
                       "late code is written to the history and confirms nothing. A wrong token is 404.",
        "parameters": [{"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
                       for n in ("token", "from", "to", "text")],
        "responses": {"200": {"description": "Taken; the body (what the reply did, empty for a number we never "
                                             "wrote to) is sent back to the sender",
                              "content": {"text/plain": {"schema": {"type": "string"}}}},
                      "400": {"description": "from is not a phone number"},
                      "404": {"description": "Wrong token, or no SMS comes in"}}}},
    "/api/messages/confirm/{token}": {
        "get": {"operationId": "confirmPage", "tags": ["messages"], "security": [],
                "summary": "The confirmation link of a dispatch email: a page with the button that confirms",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The page", "content": {"text/html": {}}},
                              "404": {"description": "No such link"}}},
        "post": {"operationId": "confirmByLink", "tags": ["messages"], "security": [],
                 "summary": "Confirm receipt: counts while the email's step is still waiting, else it is late",
                 "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                 "responses": {"200": {"description": "Confirmed, or too late (the page says)",
                                       "content": {"text/html": {}}},
                               "404": {"description": "No such link"}}}},
}
