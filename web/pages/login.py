"""The way in and out: the login form, logging out, the language switch, and `/`.

web/static/login.js sends the form to the browser-session login, POST /api/session, with fetch so
that a wrong password or a 429 is shown on the form. Without JavaScript the form posts to POST
/login, which logs in the same way (web.auth.open_session: rate limits, a fresh session id, the
cross-site refusal) and answers a page: a 303 to `next` once logged in, or the form again with the
reason — never the API's JSON.
Logging out is a form with the session's CSRF token, which the auth middleware checks.
"""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy

from store import sessions as store_sessions

from .. import auth, sessions
from ..keys import CREDENTIAL, STORE
from . import i18n
from .render import AGENT, ANYONE, Page, html_operation, local_path, page, public

LANGUAGE_MAX_AGE = 365 * 24 * 3600


@public
async def login_page(view: Page) -> web.StreamResponse:
    target = local_path(view.request.query.get("next"))
    if view.user is not None:
        raise web.HTTPSeeOther(target)
    return view.render("login.html", next=target, logged_out="logged_out" in view.request.query, error=None,
                       login="")


def _text(form: MultiDictProxy, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@public
async def login_form(view: Page) -> web.StreamResponse:
    """POST /login: the login form sent without JavaScript."""
    form = await view.request.post()
    login, password = _text(form, "login", 64), _text(form, "password", 1024)
    target = local_path(_text(form, "next", 2048))
    try:
        auth.refuse_cross_site(view.request)
        if not login or not password:
            raise web.HTTPUnauthorized()
        _, session_id, _ = await auth.open_session(view.request, login, password)
    except web.HTTPException as exc:
        retry = exc.headers.get("Retry-After", "?")
        error = {401: view.t("login.invalid"), 429: view.t("login.limited", seconds=retry)}.get(
            exc.status, view.t("login.failed", status=str(exc.status)))
        response = view.render("login.html", exc.status, next=target, logged_out=False, error=error, login=login)
        if exc.status == 429:
            response.headers["Retry-After"] = retry
        return response
    response = web.Response(status=303, headers={"Location": target})
    sessions.set_cookie(response, view.request, session_id)
    return response


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
    "/login": {
        "get": html_operation(
            "loginPage", "The login form; its script posts to POST /api/session, without it the form posts to "
            "POST /login", public_page=True,
            parameters=(_NEXT, {"name": "logged_out", "in": "query", "required": False,
                                "schema": {"type": "string"}, "description": "say that the user has just logged out"}),
            extra_responses={"303": {"description": "already logged in: to `next`"}}),
        "post": {
            "operationId": "loginForm", "tags": ["portal"], "security": [],
            "summary": "The login form sent without JavaScript: logged in, a 303 to `next` with the session "
                       "cookie; refused, the form again (HTML) with the reason",
            "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "required": ["login", "password"], "properties": {
                    "login": {"type": "string"}, "password": {"type": "string"},
                    "next": {"type": "string", "description": "a local path to go to once logged in"}}}}}},
            "responses": {"303": {"description": "logged in (a new session cookie): to `next`"},
                          **{status: {"description": f"the form again, saying why ({why})",
                                      "content": {"text/html": {"schema": {"type": "string"}}}}
                             for status, why in (("401", "wrong login or password"), ("403", "cross-site login"),
                                                 ("429", "too many failed logins; Retry-After"))}}}},
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
