"""Admin API, clients: created and changed by admins only, read by supervisors too; settings and
business hours validated field by field (400 naming it), unknown 404, taken 409; CSRF on a cookie
session's change."""

from __future__ import annotations

import pytest

from store import clients
from web.sessions import COOKIE

from .admin_support import PASSWORDS, admin_app, menu_item


@pytest.fixture
async def api(tmp_path):
    async with admin_app(tmp_path) as app:
        yield app


NEW = {"code": "30000", "name": "Clinique Trois", "language": "en", "timezone": "America/Vancouver",
       "history_days": 90, "service_level_s": 30, "hours": {"mon-fri": ["08:00-12:00", "13:00-17:00"]},
       "holidays": ["2026-12-25"], "closures": [{"from": "2026-12-24T12:00", "to": "2026-12-27T08:00"}]}


async def test_an_admin_creates_a_client_with_every_setting(api):
    status, body = await api.call("POST", "/api/admin/clients", NEW)
    assert status == 201, body
    assert body == {**NEW, "entry_menu": None, "hours": {"mon-fri": "08:00-12:00,13:00-17:00"}}
    stored = await api.store.read(lambda db: clients.get_client(db, "30000"))
    assert (stored.history_days, stored.service_level_s, stored.schedule.holidays) == (90, 30, ("2026-12-25",))
    status, minimal = await api.call("POST", "/api/admin/clients", {"code": "4000", "name": "Quatre"})
    assert status == 201 and (minimal["language"], minimal["timezone"], minimal["history_days"],
                              minimal["service_level_s"], minimal["hours"]) == ("fr", "America/Toronto", 60, 20, None)


@pytest.mark.parametrize(("body", "field"), [
    ({"code": "123", "name": "x"}, "code"),
    ({"code": "123456", "name": "x"}, "code"),
    ({"code": 30000, "name": "x"}, "code"),
    ({"name": "x"}, "code"),
    ({"code": "30000"}, "name"),
    ({"code": "30000", "name": "  "}, "name"),
    ({"code": "30000", "name": "x", "language": "de"}, "language"),
    ({"code": "30000", "name": "x", "timezone": "Europe/Atlantis"}, "timezone"),
    ({"code": "30000", "name": "x", "history_days": 0}, "history_days"),
    ({"code": "30000", "name": "x", "history_days": "60"}, "history_days"),
    ({"code": "30000", "name": "x", "service_level_s": 1.5}, "service_level_s"),
    ({"code": "30000", "name": "x", "hours": {"mon-fry": "08:00-17:00"}}, "hours"),
    ({"code": "30000", "name": "x", "holidays": ["2026-02-30"]}, "holidays"),
    ({"code": "30000", "name": "x", "closures": [{"from": "2026-01-02", "to": "2026-01-01"}]}, "closures"),
    ({"code": "30000", "name": "x", "colour": "blue"}, "colour"),
])
async def test_a_bad_field_is_a_400_naming_it_and_nothing_is_created(api, body, field):
    status, answer = await api.call("POST", "/api/admin/clients", body)
    assert status == 400 and answer["field"] == field and answer["error"].startswith(field), answer
    assert await api.store.read(lambda db: clients.get_client(db, "30000")) is None


async def test_a_body_that_is_not_a_json_object_is_a_400(api):
    for raw in ("not json", "[1, 2]", "null", '"text"'):
        status, answer = await api.call("POST", "/api/admin/clients", raw=raw)
        assert status == 400 and "JSON object" in answer["error"]


async def test_a_taken_code_is_a_409(api):
    status, answer = await api.call("POST", "/api/admin/clients", {"code": "1000", "name": "Again"})
    assert status == 409 and answer["field"] == "code" and "exists already" in answer["error"]


async def test_supervisors_read_clients_and_change_nothing_client_users_get_404(api):
    status, listed = await api.call("GET", "/api/admin/clients", login="sup")
    assert status == 200 and [c["code"] for c in listed["clients"]] == ["1000", "2000"]
    status, one = await api.call("GET", "/api/admin/clients/1000", login="sup")
    assert status == 200 and one["name"] == "Alice Co" and one["dids"] == []
    for method, path, body in (("POST", "/api/admin/clients", {"code": "5000", "name": "x"}),
                               ("PATCH", "/api/admin/clients/1000", {"name": "Taken over"})):
        assert (await api.call(method, path, body, login="sup"))[0] == 404
        assert (await api.call(method, path, body, login="alice"))[0] == 404
    for path in ("/api/admin/clients", "/api/admin/clients/1000"):
        assert (await api.call("GET", path, login="alice"))[0] == 404
        assert (await api.call("GET", path, login=None))[0] == 401
    assert (await api.store.read(lambda db: clients.get_client(db, "1000"))).name == "Alice Co"


async def test_patch_changes_only_what_is_given(api):
    status, body = await api.call("PATCH", "/api/admin/clients/1000", {"name": "Alice & Co", "service_level_s": 15})
    assert status == 200 and (body["name"], body["service_level_s"], body["language"]) == ("Alice & Co", 15, "fr")
    status, body = await api.call("PATCH", "/api/admin/clients/1000", {"hours": {"sat": "09:00-12:00"}})
    assert status == 200 and body["hours"] == {"sat": "09:00-12:00"} and body["name"] == "Alice & Co"
    status, body = await api.call("PATCH", "/api/admin/clients/1000", {"holidays": ["2027-01-01"]})
    assert body["hours"] == {"sat": "09:00-12:00"} and body["holidays"] == ["2027-01-01"]  # hours kept
    assert (await api.call("PATCH", "/api/admin/clients/9999", {"name": "x"}))[0] == 404
    assert (await api.call("GET", "/api/admin/clients/9999"))[0] == 404


async def test_bad_hours_list_every_problem_in_the_time_node_words(api):
    status, body = await api.call("PATCH", "/api/admin/clients/1000",
                                  {"hours": {"mon": "08:00-12:00,11:00-13:00", "tue": "09:00-09:00"}})
    assert status == 400 and body["field"] == "hours"
    messages = [p["message"] for p in body["problems"]]
    assert any("overlaps" in m for m in messages) and any("is empty" in m for m in messages)


async def test_the_hours_a_menu_relies_on_cannot_be_cleared(api):
    text = menu_item()["menus"][0]["yaml"]
    start, end = text.index("    hours:\n      mon-fri"), text.index("    open: main")
    client_hours = text[:start] + "    hours: client\n" + text[end:]
    status, body = await api.call("POST", "/api/admin/ivr/apply", menu_item(client_hours))
    assert status == 400 and "client 1000 has no business hours" in body["error"]
    assert (await api.call("PATCH", "/api/admin/clients/1000", {"hours": {"mon-fri": "08:30-17:00"}}))[0] == 200
    status, body = await api.call("POST", "/api/admin/ivr/apply", menu_item(client_hours))
    assert status == 200, body
    status, body = await api.call("PATCH", "/api/admin/clients/1000", {"hours": None})
    assert status == 409 and body["field"] == "hours" and "demo" in body["error"]
    # Other changes to the hours are fine: the menu follows them at the next call.
    assert (await api.call("PATCH", "/api/admin/clients/1000", {"hours": {"mon-sun": "24h"}}))[0] == 200


async def test_the_entry_menu_must_be_one_of_the_clients_menus(api):
    status, body = await api.call("PATCH", "/api/admin/clients/1000", {"entry_menu": "nosuch"})
    assert status == 400 and body["field"] == "entry_menu"
    assert (await api.call("POST", "/api/admin/ivr/apply", menu_item()))[0] == 200
    status, body = await api.call("PATCH", "/api/admin/clients/1000", {"entry_menu": "demo"})
    assert status == 200 and body["entry_menu"] == "demo"
    assert (await api.call("PATCH", "/api/admin/clients/2000", {"entry_menu": "demo"}))[0] == 400


async def test_a_cookie_session_changes_state_only_with_its_csrf_token(api):
    resp = await api.client.post("/api/session", json={"login": "root", "password": PASSWORDS["root"]})
    assert resp.status == 200
    csrf, session_id = (await resp.json())["csrf_token"], resp.cookies[COOKIE].value
    api.client.session.cookie_jar.clear()
    cookie = {"Cookie": f"{COOKIE}={session_id}"}
    body = {"code": "6000", "name": "Six"}
    for headers in (cookie, {**cookie, "X-CSRF-Token": "wrong"}):
        resp = await api.client.post("/api/admin/clients", json=body, headers=headers)
        assert resp.status == 403 and "error" in await resp.json()
    assert await api.store.read(lambda db: clients.get_client(db, "6000")) is None
    resp = await api.client.post("/api/admin/clients", json=body, headers={**cookie, "X-CSRF-Token": csrf})
    assert resp.status == 201
    assert (await api.client.get("/api/admin/clients/6000", headers=cookie)).status == 200  # reads need none
