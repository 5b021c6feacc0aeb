"""How a portal page is answered: the guard (logged in, role), the Jinja templates (autoescaped), the
viewer's language, the page's own strict CSP, and errors as pages rather than JSON.

A page handler takes a `Page` (the request, the user, the translator) and returns `page.render(...)`.
Who may open it is said once, by `@page(*roles)`: nobody logged in is sent to the login form; a role
that may not is shown the same 404 page as a call or client it may not see.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from store import Scope, Store, User

from ..auth import current_user, scope_of
from ..keys import CREDENTIAL, STORE
from . import i18n

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
TEMPLATES = web.AppKey("page_templates", jinja2.Environment)

ANYONE = ("admin", "supervisor", "client")
AGENT = ("agent",)  # the desk, and the calls that reached them
STAFF = ("admin", "supervisor")  # every client's data, the live view
ADMIN = ("admin",)

# Stricter than the API's default: nothing but this origin's own files; no inline script or style
# (charts are inline SVG drawn with attributes and classes, which a style-src does not govern).
PAGE_CSP = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "media-src 'self'",
    "connect-src 'self'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
))
NAV = (  # (path, message key, roles that see it)
    ("/agent", "nav.desk", AGENT), ("/calls", "nav.calls", (*ANYONE, *AGENT)), ("/messages", "nav.messages", ANYONE),
    ("/stats", "nav.stats", ANYONE),
    ("/reports", "nav.reports", ANYONE), ("/oncall", "nav.oncall", ANYONE),
    ("/infopages", "nav.infopages", ANYONE), ("/live", "nav.live", STAFF),
    ("/admin/clients", "nav.clients", ADMIN), ("/admin/dids", "nav.dids", ADMIN),
    ("/admin/menus", "nav.menus", ADMIN), ("/admin/users", "nav.users", ADMIN),
    ("/admin/agents", "nav.agents", ADMIN), ("/admin/queues", "nav.queues", ADMIN),
    ("/admin/asterisk", "nav.asterisk", ADMIN),
)


def _localtime(value: str | None, zone: str = "UTC", seconds: bool = True) -> str:
    """A stored ISO UTC time, in `zone`."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    env.filters["localtime"] = _localtime
    return env


def install(app: web.Application) -> None:
    """What the pages need on the app: their templates, loaded once."""
    app[TEMPLATES] = environment()


def local_path(target: str | None, default: str = "/calls") -> str:
    """`target` if it is a path on this site; `default` otherwise (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 32 for c in target):
        return default
    return target


@dataclass(frozen=True)
class Page:
    request: web.Request
    user: User | None
    t: i18n.Translator

    @property
    def store(self) -> Store:
        return self.request.app[STORE]

    @property
    def scope(self) -> Scope:
        if self.user is None:
            raise RuntimeError("a page without a user has no scope")
        return scope_of(self.user)

    @property
    def staff(self) -> bool:
        return self.user is not None and self.user.role in STAFF

    def render(self, template: str, status: int = 200, **values: object) -> web.Response:
        credential = self.request.get(CREDENTIAL)
        role = self.user.role if self.user else None
        html = self.request.app[TEMPLATES].get_template(template).render(
            t=self.t, lang=self.t.lang, user=self.user, path=self.request.path_qs,
            csrf_token=credential.csrf_token if credential else None,
            nav=[(path, key) for path, key, roles in NAV if role in roles], **values)
        return web.Response(text=html, status=status, content_type="text/html", headers={
            "Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"})

    def not_found(self) -> web.Response:
        return self.render("error.html", 404, title=self.t("error.not_found"), text=self.t("error.not_found_text"))

    def bad_request(self, exc: web.HTTPBadRequest) -> web.Response:
        return self.render("error.html", 400, title=self.t("error.bad_request"), text=refused_field(self, exc))


def refused_field(view: Page, exc: web.HTTPBadRequest) -> str:
    """The message for a parameter the shared query reader refused (its JSON names the parameter)."""
    try:
        field = json.loads(exc.text or "{}").get("parameter", "")
    except ValueError:
        field = ""
    label = view.t(f"filter.{field}") if f"filter.{field}" in i18n.MESSAGES else field
    return view.t("filter.bad", field=label)


PageHandler = Callable[[Page], Awaitable[web.StreamResponse]]


def page(*roles: str) -> Callable[[PageHandler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """A page for these roles: anyone else logged in sees the 404 page; nobody logged in, the login form."""

    def wrap(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(handler)
        async def run(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            view = Page(request, user, i18n.Translator(i18n.choose(request)))
            if user is None:
                raise web.HTTPSeeOther("/login?" + urlencode({"next": request.path_qs}))
            if user.role not in roles:
                return view.not_found()
            try:
                return await handler(view)
            except web.HTTPNotFound:  # the shared readers' "not yours" (a client code, say)
                return view.not_found()
            except web.HTTPBadRequest as exc:
                return view.bad_request(exc)

        return run

    return wrap


def public(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A page anyone may open (the login form)."""

    @functools.wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        return await handler(Page(request, current_user(request), i18n.Translator(i18n.choose(request))))

    return run


def html_operation(operation_id: str, summary: str, *, public_page: bool = False, parameters: tuple = (),
                   extra_responses: dict | None = None) -> dict:
    """The OpenAPI operation of a page: HTML, and where the browser is sent without a login."""
    operation: dict = {
        "operationId": operation_id, "tags": ["portal"], "summary": summary,
        "parameters": list(parameters),
        "responses": {
            "200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}},
            **({} if public_page else {
                "303": {"description": "not logged in: to the login form"},
                "404": {"description": "an HTML page: no such thing, or not one this user may see",
                        "content": {"text/html": {"schema": {"type": "string"}}}}}),
            **(extra_responses or {}),
        },
    }
    if public_page:
        operation["security"] = []
    return operation
