"""Several on-call schedules over HTTP: admins list, create, relabel and remove them; the rotation and
override routes take `?schedule=` (none: `default`, as before); the client asks who is on call, the next
shifts and a feed per schedule (each feed token opens its own schedule; the per-client feed stays the
default's); removing a schedule a menu or a queue names is a 409 saying which; other clients get 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from store import menus, queues
from store.queues import Queue

from .admin_support import admin_app
from .directory_support import with_bob

ROTATION = {"period": "daily", "handover": "08:00", "starts_on": "2026-01-01"}


@pytest.fixture
async def admin(tmp_path):
    async with admin_app(tmp_path) as wired:
        await with_bob(wired)
        yield wired


async def _people(admin) -> tuple[dict, dict]:
    made = []
    for name in ("Ana", "Ben"):
        status, contact = await admin.call("POST", "/api/admin/clients/1000/contacts", {"name": name})
        assert status == 201
        made.append(contact)
    return made[0], made[1]


async def test_schedules_are_listed_created_relabelled_and_removed(admin):
    status, body = await admin.call("GET", "/api/admin/clients/1000/oncall/schedules")
    assert status == 200 and body == {"client": "1000", "schedules": [
        {"name": "default", "label": "", "created_at": body["schedules"][0]["created_at"], "used_by": []}]}
    status, made = await admin.call("POST", "/api/admin/clients/1000/oncall/schedules",
                                    {"name": "medical", "label": "Médical"})
    assert status == 201 and (made["name"], made["label"], made["used_by"]) == ("medical", "Médical", [])
    status, err = await admin.call("POST", "/api/admin/clients/1000/oncall/schedules", {"name": "medical"})
    assert status == 409 and err["field"] == "name" and "already" in err["error"]
    status, err = await admin.call("POST", "/api/admin/clients/1000/oncall/schedules", {"name": "Médical"})
    assert status == 400 and err["field"] == "name"
    status, err = await admin.call("POST", "/api/admin/clients/1000/oncall/schedules", {"name": "x", "site": 1})
    assert status == 400 and err["field"] == "site"
    status, changed = await admin.call("PATCH", "/api/admin/clients/1000/oncall/schedules/medical",
                                       {"label": "Médical de nuit"})
    assert status == 200 and changed["label"] == "Médical de nuit"
    assert (await admin.call("PATCH", "/api/admin/clients/1000/oncall/schedules/nope", {"label": "x"}))[0] == 404
    status, err = await admin.call("DELETE", "/api/admin/clients/1000/oncall/schedules/default")
    assert status == 409 and "default schedule cannot be removed" in err["error"]
    # Supervisors read, never change; another client's user reaches nothing.
    assert (await admin.call("GET", "/api/admin/clients/1000/oncall/schedules", login="sup"))[0] == 200
    assert (await admin.call("POST", "/api/admin/clients/1000/oncall/schedules", {"name": "x"}, login="sup"))[0] \
        == 404
    assert (await admin.call("GET", "/api/admin/clients/1000/oncall/schedules", login="bob"))[0] == 404
    status, listed = await admin.call("GET", "/api/oncall/schedules", login="alice")
    assert status == 200 and listed["schedules"] == [{"name": "default", "label": ""},
                                                      {"name": "medical", "label": "Médical de nuit"}]
    assert (await admin.call("GET", "/api/oncall/schedules?client=1000", login="bob"))[0] == 404
    assert (await admin.call("DELETE", "/api/admin/clients/1000/oncall/schedules/medical"))[0] == 204
    assert [s["name"] for s in (await admin.call("GET", "/api/admin/clients/1000/oncall/schedules"))[1]
            ["schedules"]] == ["default"]


async def test_each_schedule_has_its_rotation_overrides_answer_and_feed(admin):
    ana, ben = await _people(admin)
    await admin.call("POST", "/api/admin/clients/1000/oncall/schedules", {"name": "tech", "label": "Technique"})
    assert (await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation",
                             {**ROTATION, "contacts": [ana["id"]]}))[0] == 200
    status, rotation = await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation?schedule=tech",
                                        {**ROTATION, "contacts": [ben["id"]]})
    assert status == 200 and rotation["contacts"] == [ben["id"]]
    now = datetime.now(UTC).replace(microsecond=0)
    status, swap = await admin.call("POST", "/api/admin/clients/1000/oncall/overrides?schedule=tech", {
        "contact": ana["id"], "from": (now + timedelta(days=1)).isoformat(),
        "to": (now + timedelta(days=2)).isoformat()})
    assert status == 201
    status, kept = await admin.call("GET", "/api/admin/clients/1000/oncall?schedule=tech")
    assert (kept["schedule"], kept["label"], kept["rotation"]["contacts"], [o["id"] for o in kept["overrides"]]) == \
        ("tech", "Technique", [ben["id"]], [swap["id"]])
    assert (await admin.call("GET", "/api/admin/clients/1000/oncall"))[1]["overrides"] == []  # default's own

    assert (await admin.call("GET", "/api/oncall", login="alice"))[1]["contact"]["id"] == ana["id"]
    status, body = await admin.call("GET", "/api/oncall?schedule=tech", login="alice")
    assert status == 200 and (body["schedule"], body["contact"]["id"]) == ("tech", ben["id"])
    later = (now + timedelta(days=1, hours=1)).isoformat().replace("+00:00", "Z")
    assert (await admin.call("GET", f"/api/oncall?schedule=tech&at={later}", login="alice"))[1]["contact"]["id"] \
        == ana["id"]
    shifts = (await admin.call("GET", "/api/oncall/shifts?schedule=tech&count=3", login="alice"))[1]["shifts"]
    assert shifts[0]["contact"]["id"] == ben["id"] and any(s["override"] == swap["id"] for s in shifts)

    # A feed per schedule: each token opens its own, the default's stays as it was.
    status, tech_feed = await admin.call("POST", "/api/oncall/feed?schedule=tech", login="alice")
    assert status == 201 and tech_feed["schedule"] == "tech"
    status, default_feed = await admin.call("POST", "/api/oncall/feed", login="alice")
    assert status == 201 and default_feed["schedule"] == "default"
    for made, who, tech in ((tech_feed, "Ben", True), (default_feed, "Ana", False)):
        resp = await admin.client.get(made["url"] + "&days=3")  # no login
        assert resp.status == 200
        raw = await resp.read()
        events = list(icalendar.Calendar.from_ical(raw).walk("VEVENT"))
        [current] = [e for e in events if e.start <= now < e.end]
        assert str(current["SUMMARY"]) == f"Garde : {who}", made
        assert (b"Garde Alice Co (Technique)" in raw) is tech  # the calendar's name says which
        assert all(str(e["UID"]).startswith("1000-tech-" if tech else "1000-shift-") for e in events)
    resp = await admin.client.get(tech_feed["url"] + "&schedule=default")
    assert resp.status == 400 and (await resp.json())["parameter"] == "schedule"
    assert (await admin.client.get("/api/oncall.ics?schedule=tech",
                                   headers={"Authorization": f"Bearer {await admin.token('alice')}"})).status == 200

    # Removing the override through its id, narrowed to another schedule, finds nothing.
    status, err = await admin.call("DELETE", f"/api/admin/clients/1000/oncall/overrides/{swap['id']}?schedule=default")
    assert status == 404 and "in schedule default" in err["error"]
    assert (await admin.call("DELETE", f"/api/admin/clients/1000/oncall/overrides/{swap['id']}?schedule=tech"))[0] \
        == 204
    assert (await admin.call("DELETE", "/api/admin/clients/1000/oncall/rotation?schedule=tech"))[0] == 204
    assert (await admin.call("GET", "/api/admin/clients/1000/oncall"))[1]["rotation"]["contacts"] == [ana["id"]]


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/api/admin/clients/1000/oncall?schedule=nope", None),
    ("PUT", "/api/admin/clients/1000/oncall/rotation?schedule=nope", {**ROTATION, "contacts": [1]}),
    ("DELETE", "/api/admin/clients/1000/oncall/rotation?schedule=nope", None),
    ("POST", "/api/admin/clients/1000/oncall/overrides?schedule=nope",
     {"contact": 1, "from": "2026-01-01T08:00", "to": "2026-01-02T08:00"}),
])
async def test_an_unknown_schedule_is_a_404_naming_it_and_changes_nothing(admin, method, path, body):
    await _people(admin)
    status, err = await admin.call(method, path, body)
    assert status == 404 and "client 1000 has no on-call schedule 'nope'" in err["error"], err
    assert [s["name"] for s in (await admin.call("GET", "/api/admin/clients/1000/oncall/schedules"))[1]
            ["schedules"]] == ["default"]


@pytest.mark.parametrize("path", ["/api/oncall?schedule=nope", "/api/oncall/shifts?schedule=nope",
                                  "/api/oncall.ics?schedule=nope"])
async def test_the_client_asking_for_a_schedule_it_lacks_gets_404(admin, path):
    await admin.call("POST", "/api/admin/clients/2000/oncall/schedules", {"name": "nope"})  # bob's, not alice's
    status, err = await admin.call("GET", path, login="alice")
    assert status == 404 and err["error"] == "schedule not found"
    status, err = await admin.call("GET", path.replace("nope", "Bad Name"), login="alice")
    assert status == 400 and err["parameter"] == "schedule"
    assert (await admin.call("POST", "/api/oncall/feed?schedule=nope", login="alice"))[0] == 404


async def test_a_schedule_still_named_cannot_be_removed_and_the_409_says_by_whom(admin):
    await admin.call("POST", "/api/admin/clients/1000/oncall/schedules", {"name": "tech"})

    def name_it(db) -> None:
        menus.apply_menu(db, "night", "1000", "night.yaml", "menu: night", schedules={"tech"})
        queues.save_queue(db, Queue("1000-q", "1000", overflow_action="oncall", overflow_schedule="tech"))

    await admin.store.write(name_it)
    status, err = await admin.call("DELETE", "/api/admin/clients/1000/oncall/schedules/tech")
    assert status == 409 and err["field"] == "name" and "menu night, queue 1000-q (overflow)" in err["error"], err
    listed = (await admin.call("GET", "/api/admin/clients/1000/oncall/schedules"))[1]["schedules"]
    assert listed[1]["used_by"] == ["menu night", "queue 1000-q (overflow)"]
    # The queue API takes the schedule and refuses an unknown one, naming the field.
    status, err = await admin.call("PUT", "/api/admin/queues/1000-r", {"client_code": "1000", "overflow_action":
                                                                       "oncall", "overflow_schedule": "nope"})
    assert status == 400 and err["field"] == "overflow_schedule" and "no on-call schedule 'nope'" in err["error"]
    status, queue = await admin.call("PUT", "/api/admin/queues/1000-r", {"client_code": "1000", "overflow_action":
                                                                         "oncall", "overflow_schedule": "tech"})
    assert status == 201 and queue["overflow_schedule"] == "tech"
