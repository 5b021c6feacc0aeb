"""Admin API: queues — PUT creates (201) or replaces (200) a whole definition, fields left out take the
defaults; every refused field is a 400 naming it and writes nothing; supervisors read, clients get 404;
a queue another overflows to is 409 on delete; every route is in the OpenAPI document."""

from __future__ import annotations

import pytest

from store import queues
from store.queues import PenaltyRule, Queue

from .admin_support import admin_app

FULL = {"client_code": "1000", "label": "Accueil", "strategy": "leastrecent", "ring_timeout_s": 20, "retry_s": 3,
        "wrapup_s": 10, "max_callers": 5, "max_wait_s": 120, "announce_position": True, "announce_holdtime": True,
        "announce_frequency_s": 30, "music_class": "default", "service_level_s": 30,
        "service_level_pct": 90,
        "penalty_rules": [{"after_s": 0, "max_penalty": 0}, {"after_s": 30, "max_penalty": 5}],
        "overflow_action": "queue", "overflow_target": "1000-nuit", "callback_offer": True, "callback_after_s": 45,
        "callback_key": "#", "overflow_schedule": "default"}


@pytest.fixture
async def api(tmp_path):
    async with admin_app(tmp_path) as app:
        yield app


async def test_put_creates_then_replaces_the_whole_definition(api):
    status, body = await api.call("PUT", "/api/admin/queues/1000-accueil", FULL)
    assert status == 201 and body == {"name": "1000-accueil", **FULL}
    stored = await api.store.read(lambda db: queues.get_queue(db, "1000-accueil"))
    assert stored.penalty_rules == (PenaltyRule(0, 0), PenaltyRule(30, 5)) and stored.callback_key == "#"
    status, body = await api.call("PUT", "/api/admin/queues/1000-accueil", {"strategy": "ringall"})
    assert status == 200 and body == {**_defaults("1000-accueil"), "strategy": "ringall"}
    assert (await api.call("GET", "/api/admin/queues/1000-accueil", login="sup")) == (200, body)


def _defaults(name: str) -> dict:
    out = {f: getattr(Queue(name, None), f) for f in ("name", "client_code", *FULL) if f != "client_code"}
    return {**out, "client_code": None, "penalty_rules": []}


async def test_list_all_a_clients_own_or_the_shared_ones(api):
    for name, client in (("b", "2000"), ("a", "1000"), ("shared", None)):
        assert (await api.call("PUT", f"/api/admin/queues/{name}", {"client_code": client}))[0] == 201
    names = lambda body: [q["name"] for q in body["queues"]]  # noqa: E731
    assert names((await api.call("GET", "/api/admin/queues", login="sup"))[1]) == ["a", "b", "shared"]
    assert names((await api.call("GET", "/api/admin/queues?client=1000"))[1]) == ["a"]
    assert names((await api.call("GET", "/api/admin/queues?shared=true"))[1]) == ["shared"]
    for query, field in (("client=12", "client"), ("shared=yes", "shared"), ("client=1000&shared=true", "shared"),
                         ("owner=1", "owner")):
        status, body = await api.call("GET", f"/api/admin/queues?{query}")
        assert status == 400 and body["field"] == field, (query, body)


@pytest.mark.parametrize(("body", "field"), [
    ({"strategy": "random"}, "strategy"), ({"wrapup_s": -1}, "wrapup_s"), ({"wrapup_s": "5"}, "wrapup_s"),
    ({"ring_timeout_s": True}, "ring_timeout_s"), ({"announce_position": 1}, "announce_position"),
    ({"announce_holdtime": True}, "announce_frequency_s"), ({"client_code": "9999"}, "client_code"),
    ({"client_code": 1000}, "client_code"), ({"label": "a\nb"}, "label"), ({"music_class": "a b"}, "music_class"),
    ({"penalty_rules": {"after_s": 0}}, "penalty_rules"), ({"penalty_rules": [{"after_s": 0}]}, "penalty_rules"),
    ({"penalty_rules": [{"after_s": 10, "max_penalty": 5}, {"after_s": 5, "max_penalty": 6}]}, "penalty_rules"),
    ({"penalty_rules": [{"after_s": "0", "max_penalty": 5}]}, "penalty_rules"),
    ({"overflow_action": "queue"}, "overflow_target"), ({"overflow_target": "x"}, "overflow_target"),
    ({"callback_key": "12"}, "callback_key"), ({"name": "other"}, "name"), ({"colour": "red"}, "colour"),
])
async def test_a_refused_field_is_named_and_nothing_is_written(api, body, field):
    assert (await api.call("PUT", "/api/admin/queues/q", {"label": "before"}))[0] == 201
    status, answer = await api.call("PUT", "/api/admin/queues/q", body)
    assert status == 400 and answer["field"] == field, answer
    assert (await api.call("GET", "/api/admin/queues/q"))[1]["label"] == "before"


async def test_unknown_names_and_a_queue_still_overflowed_to(api):
    assert (await api.call("GET", "/api/admin/queues/nowhere"))[0] == 404
    assert (await api.call("GET", "/api/admin/queues/Bad!"))[0] == 404
    assert (await api.call("PUT", "/api/admin/queues/Bad!", {}))[0] == 404
    assert (await api.call("DELETE", "/api/admin/queues/nowhere"))[0] == 404
    await api.call("PUT", "/api/admin/queues/1000-nuit", {"client_code": "1000"})
    await api.call("PUT", "/api/admin/queues/1000-accueil", FULL)
    status, body = await api.call("DELETE", "/api/admin/queues/1000-nuit")
    assert status == 409 and body["field"] == "name" and "1000-accueil overflow to it" in body["error"]
    assert (await api.call("DELETE", "/api/admin/queues/1000-accueil"))[0] == 204
    assert (await api.call("DELETE", "/api/admin/queues/1000-nuit"))[0] == 204
    assert (await api.call("GET", "/api/admin/queues"))[1] == {"queues": []}


async def test_supervisors_read_clients_get_404_and_only_admins_change(api):
    await api.call("PUT", "/api/admin/queues/q", {"client_code": "1000"})
    assert (await api.call("GET", "/api/admin/queues/q", login="sup"))[0] == 200
    assert (await api.call("PUT", "/api/admin/queues/q", {}, login="sup"))[0] == 404
    assert (await api.call("DELETE", "/api/admin/queues/q", login="sup"))[0] == 404
    for method, path in (("GET", "/api/admin/queues"), ("GET", "/api/admin/queues/q"),
                         ("PUT", "/api/admin/queues/q"), ("DELETE", "/api/admin/queues/q")):
        assert (await api.call(method, path, {} if method == "PUT" else None, login="alice"))[0] == 404
        assert (await api.call(method, path, {} if method == "PUT" else None, login=None))[0] == 401
    assert (await api.call("GET", "/api/admin/queues/q"))[1]["client_code"] == "1000"


async def test_every_queue_route_is_documented(api):
    spec = (await api.call("GET", "/openapi.json", login=None))[1]
    assert set(spec["paths"]["/api/admin/queues"]) == {"get"}
    assert {"get", "put", "delete"} <= set(spec["paths"]["/api/admin/queues/{name}"])
    assert set(spec["components"]["schemas"]["AdminQueue"]["properties"]) == {"name", *FULL}
