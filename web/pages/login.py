"""The way in and out: the login form, logging out, the language switch, and `/`.

The form posts to the browser-session login, POST /api/session (rate limits, a fresh session id, the
cross-site refusal live there). web/static/login.js sends it with fetch so that a wrong password or
a 429 is shown on the form; without JavaScript the form still logs in (its `next` field: a 303).
Logging out is a form with the session's CSRF token, which the auth middleware checks.
"""

from __future__ import annotations

from aiohttp import web

from store import sessions as store_sessions

from .. import sessions
from ..keys import CREDENTIAL, STORE
from . import i18n
from .render import AGENT, ANYONE, Page, html_operation, local_path, page, public

LANGUAGE_MAX_AGE = 365 * 24 * 3600


@public
async def login_page(view: Page) -> web.StreamResponse:
    target = local_path(view.request.query.get("next"))
    if view.user is not None:
        raise web.HTTPSeeOther(target)
    return view.render("login.html", next=target, logged_out="logged_out" in view.request.query)


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: the middleware has checked the CSRF token of a cookie session before this runs."""
    credential = request.get(CREDENTIAL)
    response = web.HTTPSeeOther("/login?logged_out=1")
    if credential is not None and credential.kind == "session":
        await request.app[STORE].write(lambda db: store_sessions.delete_session(db, credential.digest))
        sessions.clear_cookie(response, request)
    raise response


async def choose_language(request: web.Request) -> web.StreamResponse:
    """GET /language?lang=fr|en&next=/path: remember the choice in a cookie and go back."""
    lang = request.query.get("lang", "")
    response = web.HTTPSeeOther(local_path(request.query.get("next")))
    if lang in i18n.LANGUAGES:
        # A preference, not a credential: readable by nobody but this site, sent on top-level navigations.
        response.set_cookie(i18n.COOKIE, lang, max_age=LANGUAGE_MAX_AGE, path="/", samesite="Lax",
                            httponly=True, secure=request.secure)
    raise response


@page(*ANYONE, *AGENT)
async def home(view: Page) -> web.StreamResponse:
    raise web.HTTPSeeOther("/agent" if view.user is not None and view.user.role in AGENT else "/calls")


_NEXT = {"name": "next", "in": "query", "required": False, "schema": {"type": "string"},
         "description": "a local path to go to afterwards"}
OPENAPI_PATHS: dict = {
    "/": {"get": html_operation("portalHome", "The portal: to the calls (or the login form)", extra_responses={
        "303": {"description": "to /calls (an agent: /agent), or to the login form"}})},
    "/login": {"get": html_operation(
        "loginPage", "The login form; it posts to POST /api/session", public_page=True,
        parameters=(_NEXT, {"name": "logged_out", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "say that the user has just logged out"}),
        extra_responses={"303": {"description": "already logged in: to `next`"}})},
    "/logout": {"post": {
        "operationId": "logoutPage", "tags": ["portal"],
        "summary": "End the browser session (form with the session's csrf_token) and go to the login form",
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {"csrf_token": {"type": "string"}}}}}},
        "responses": {"303": {"description": "to the login form; the session cookie is cleared"},
                      "403": {"description": "the CSRF token is missing or wrong",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/language": {"get": {
        "operationId": "chooseLanguage", "tags": ["portal"], "security": [],
        "summary": "Choose the portal's language (a cookie) and go back to `next`",
        "parameters": [{"name": "lang", "in": "query", "required": True,
                        "schema": {"type": "string", "enum": list(i18n.LANGUAGES)}}, _NEXT],
        "responses": {"303": {"description": "back to `next` (a local path), or to /calls"}}}},
}
