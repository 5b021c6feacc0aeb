"""The admin page for queues (admins only): every queue's definition, who answers it at which penalty,
and a form per queue and for a new one that PUTs the whole definition to the admin API
(web/admin/queues.py, which the store checks); Asterisk takes it at the next reload."""

from __future__ import annotations

from aiohttp import web

from store import agents, clients, queues

from .render import ADMIN, Page, html_operation, page


@page(*ADMIN)
async def queues_page(view: Page) -> web.StreamResponse:
    found, known, members = await view.store.read(
        lambda db: (queues.list_queues(db), clients.list_clients(db), agents.list_members(db)))
    answered: dict[str, list[agents.Membership]] = {}
    for member in members:
        answered.setdefault(member.queue, []).append(member)
    return view.render("admin_queues.html", queues=found, clients=known, members=answered,
                       strategies=queues.STRATEGIES, overflow_actions=queues.OVERFLOW_ACTIONS,
                       callback_keys=queues.CALLBACK_KEYS, defaults=queues.Queue("", None))


OPENAPI_PATHS: dict = {
    "/admin/queues": {"get": html_operation("adminQueuesPage", "Queues: their settings, skills and overflow "
                                                               "(admins)")},
}
