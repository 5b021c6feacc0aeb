"""The on-call schedule over HTTP: edited by admins, asked by the client (`/api/oncall` at the handover
minute, the next shifts), the iCalendar feed parsed back with the icalendar library and checked against
who_is_on_call at every event and at sampled moments, the feed's token; other clients get 404 and bad
input a 400 naming it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from store import agents, connect, users
from store import oncall as store_oncall
from web import hash_password

from .admin_support import admin_app
from .directory_support import with_bob

MTL = ZoneInfo("America/Toronto")  # the clients' default time zone in admin_support


@pytest.fixture
async def admin(tmp_path):
    async with admin_app(tmp_path) as wired:
        await with_bob(wired)
        wired.db_path = tmp_path / "admin.sqlite3"
        yield wired


async def _team(admin) -> list[dict]:
    team = []
    for i, name in enumerate(("Ana", "Ben", "Chloé")):
        status, contact = await admin.call("POST", "/api/admin/clients/1000/contacts",
                                           {"name": name, "mobile": f"514555010{i}", "role": "tech"})
        assert status == 201
        team.append(contact)
    return team


def _who(admin, at: datetime) -> int | None:
    db = connect(admin.db_path)
    try:
        found = store_oncall.who_is_on_call(db, "1000", at)
        return found.id if found else None
    finally:
        db.close()


async def test_who_is_on_call_at_the_handover_minute_and_with_an_override(admin):
    ana, ben, chloe = await _team(admin)
    status, rotation = await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", {
        "period": "weekly", "handover": "08:00", "starts_on": "2026-03-02", "contacts": [ana["id"], ben["id"]]})
    assert status == 200 and rotation["timezone"] == "America/Toronto"
    # 2026-03-09 08:00 local (EDT since the 8th): one minute before, at, one after — without an offset
    # the moment is read in the client's time zone, with one as given.
    answers = []
    for at in ("2026-03-09T07:59", "2026-03-09T08:00", "2026-03-09T12:01:00Z"):
        status, body = await admin.call("GET", f"/api/oncall?at={at}", login="alice")
        assert status == 200, body
        answers.append((body["contact"]["name"], body["source"], body["from"], body["to"]))
    assert answers == [("Ana", "rotation", "2026-03-02T13:00:00.000Z", "2026-03-09T12:00:00.000Z"),
                       ("Ben", "rotation", "2026-03-09T12:00:00.000Z", "2026-03-16T12:00:00.000Z"),
                       ("Ben", "rotation", "2026-03-09T12:00:00.000Z", "2026-03-16T12:00:00.000Z")]
    status, override = await admin.call("POST", "/api/admin/clients/1000/oncall/overrides", {
        "contact": chloe["id"], "from": "2026-03-10T18:00", "to": "2026-03-11T08:00-04:00", "reason": "holiday",
        "note": "Ben off"})
    assert status == 201 and (override["from"], override["to"]) == ("2026-03-10T22:00:00.000Z",
                                                                    "2026-03-11T12:00:00.000Z")
    status, body = await admin.call("GET", "/api/oncall?at=2026-03-10T23:00:00Z", login="alice")
    assert (body["contact"]["id"], body["source"], body["override"], body["from"], body["to"]) == \
        (chloe["id"], "override", override["id"], override["from"], override["to"])
    assert body["contact"]["mobile"] == "+15145550102"
    at = datetime(2026, 3, 10, 23, tzinfo=UTC)
    assert _who(admin, at) == chloe["id"] and _who(admin, at - timedelta(hours=1, minutes=1)) == ben["id"]
    status, schedule = await admin.call("GET", "/api/admin/clients/1000/oncall", login="sup")
    assert status == 200 and schedule["rotation"] == rotation and schedule["overrides"] == [override]
    status, _ = await admin.call("DELETE", f"/api/admin/clients/1000/oncall/overrides/{override['id']}")
    assert status == 204 and _who(admin, at) == ben["id"]
    assert (await admin.call("GET", "/api/oncall?at=2026-03-10T23:00:00Z", login="alice"))[1]["contact"]["id"] \
        == ben["id"]
    # Before the first shift: nobody, open-ended back.
    body = (await admin.call("GET", "/api/oncall?at=2026-03-01", login="alice"))[1]
    assert (body["contact"], body["source"], body["from"], body["to"]) == (None, None, None,
                                                                           "2026-03-02T13:00:00.000Z")
    assert (await admin.call("DELETE", "/api/admin/clients/1000/oncall/rotation"))[0] == 204
    assert (await admin.call("GET", "/api/oncall?at=2026-03-10T23:00:00Z", login="alice"))[1]["contact"] is None


async def test_the_next_shifts_for_a_calendar(admin):
    ana, ben, chloe = await _team(admin)
    await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", {
        "period": "daily", "handover": "02:30", "starts_on": "2026-03-06", "contacts": [ana["id"], ben["id"],
                                                                                        chloe["id"]]})
    status, body = await admin.call("GET", "/api/oncall/shifts?from=2026-03-07T12:00&count=4", login="alice")
    assert status == 200
    # 8 March: 02:30 does not exist in Toronto (02:00 -> 03:00): the handover is at 03:30 EDT, 07:30 UTC.
    assert [(s["from"], s["to"], s["contact"]["name"], s["shift"]) for s in body["shifts"]] == [
        ("2026-03-07T07:30:00.000Z", "2026-03-08T07:30:00.000Z", "Ben", 1),
        ("2026-03-08T07:30:00.000Z", "2026-03-09T06:30:00.000Z", "Chloé", 2),
        ("2026-03-09T06:30:00.000Z", "2026-03-10T06:30:00.000Z", "Ana", 3),
        ("2026-03-10T06:30:00.000Z", "2026-03-11T06:30:00.000Z", "Ben", 4)]


async def test_the_ics_feed_parses_back_and_matches_who_is_on_call(admin):
    ana, ben, chloe = await _team(admin)
    now = datetime.now(UTC)
    start = (now - timedelta(days=3)).astimezone(MTL).date().isoformat()
    await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", {
        "period": "daily", "handover": "08:00", "starts_on": start, "contacts": [ana["id"], ben["id"]]})
    swap_from = (now + timedelta(days=2)).replace(microsecond=0)
    await admin.call("POST", "/api/admin/clients/1000/oncall/overrides", {
        "contact": chloe["id"], "from": swap_from.isoformat(), "to": (swap_from + timedelta(hours=30)).isoformat()})
    status, made = await admin.call("POST", "/api/oncall/feed", login="alice")
    assert status == 201 and made["url"] == f"/api/oncall.ics?token={made['token']}"
    resp = await admin.client.get(made["url"] + "&days=20")  # no login: the token is the credential
    assert resp.status == 200 and resp.content_type == "text/calendar"
    cal = icalendar.Calendar.from_ical(await resp.read())
    events = list(cal.walk("VEVENT"))
    names = {c["id"]: c["name"] for c in (ana, ben, chloe)}
    assert len(events) >= 20 and len({str(e["UID"]) for e in events}) == len(events)
    assert any("Chloé" in str(e["SUMMARY"]) for e in events)
    for event in events:
        begin, end = event.start, event.end
        assert begin.tzinfo is not None and end > begin
        for moment in (begin, begin + (end - begin) / 2, end - timedelta(seconds=1)):
            assert str(event["SUMMARY"]) == f"Garde : {names[_who(admin, moment)]}", (event["UID"], moment)
    ends = sorted((e.start, e.end) for e in events)
    assert all(a[1] == b[0] for a, b in pairwise(ends))  # no gap, no overlap
    # A calendar library expanding the feed finds, at sampled moments, the one event who_is_on_call names.
    moment = now - timedelta(days=2)
    while moment < now + timedelta(days=19):
        found = recurring_ical_events.of(cal).at(moment)
        assert [str(e["SUMMARY"]) for e in found] == [f"Garde : {names[_who(admin, moment)]}"], moment
        moment += timedelta(hours=5, minutes=17)
    # The session or bearer of a user works too; a renewed token retires the old one.
    assert (await admin.client.get("/api/oncall.ics", headers={"Authorization":
                                                              f"Bearer {await admin.token('alice')}"})).status == 200
    status, again = await admin.call("POST", "/api/oncall/feed", login="alice")
    assert status == 201 and again["token"] != made["token"]
    assert (await admin.client.get(made["url"])).status == 404
    assert (await admin.client.get(again["url"])).status == 200
    assert (await admin.client.get("/api/oncall.ics")).status == 401
    resp = await admin.client.get(f"{again['url']}&client=2000")
    assert resp.status == 400 and (await resp.json())["parameter"] == "client"


async def test_another_client_and_the_supervisor_reach_nothing_they_should_not(admin):
    ana, _, _ = await _team(admin)
    await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", {
        "period": "daily", "handover": "08:00", "starts_on": "2026-01-01", "contacts": [ana["id"]]})
    for path in ("/api/oncall?client=1000", "/api/oncall/shifts?client=1000", "/api/oncall.ics?client=1000",
                 "/api/admin/clients/1000/oncall"):
        status, body = await admin.call("GET", path, login="bob")
        assert status == 404 and "Ana" not in str(body), path
    assert (await admin.call("POST", "/api/oncall/feed?client=1000", login="bob"))[0] == 404
    body = (await admin.call("GET", "/api/oncall", login="bob"))[1]
    assert (body["client"], body["contact"]) == ("2000", None)
    # Client 2000's schedule cannot name client 1000's contact.
    status, err = await admin.call("PUT", "/api/admin/clients/2000/oncall/rotation", {
        "period": "daily", "handover": "08:00", "starts_on": "2026-01-01", "contacts": [ana["id"]]})
    assert status == 400 and err["field"] == "contacts[0]" and "client 2000 has no contact" in err["error"]
    status, err = await admin.call("POST", "/api/admin/clients/2000/oncall/overrides", {
        "contact": ana["id"], "from": "2026-01-02T08:00", "to": "2026-01-03T08:00"})
    assert status == 400 and err["field"] == "contact"
    assert (await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", {}, login="sup"))[0] == 404
    assert (await admin.call("POST", "/api/oncall/feed?client=1000", login="sup"))[0] == 404
    assert (await admin.call("GET", "/api/oncall?client=1000", login="sup"))[1]["contact"]["id"] == ana["id"]


@pytest.mark.parametrize("path, parameter", [
    ("/api/oncall?at=tomorrow", "at"), ("/api/oncall?at=2026-02-30", "at"), ("/api/oncall?when=now", "when"),
    ("/api/oncall/shifts?count=0", "count"), ("/api/oncall/shifts?count=201", "count"),
    ("/api/oncall.ics?days=400", "days"), ("/api/oncall?client=12", "client"),
    ("/api/oncall?at=9999-12-31T23:00:00Z", "at"), ("/api/oncall/shifts?from=0001-01-01T00:00:00Z", "from"),
])
async def test_bad_queries_are_a_400_naming_the_parameter(admin, path, parameter):
    status, err = await admin.call("GET", path, login="alice")
    assert status == 400 and err["parameter"] == parameter and err["error"].startswith(parameter), err


@pytest.mark.parametrize("body, field", [
    ({"period": "hourly", "handover": "08:00", "starts_on": "2026-01-01", "contacts": [1]}, "period"),
    ({"period": "daily", "handover": "25:00", "starts_on": "2026-01-01", "contacts": [1]}, "handover"),
    ({"period": "daily", "handover": "08:00", "starts_on": "2026-13-01", "contacts": [1]}, "starts_on"),
    ({"period": "daily", "handover": "08:00", "starts_on": "0001-01-01", "contacts": [1]}, "starts_on"),
    ({"period": "daily", "handover": "08:00", "starts_on": "2026-01-01", "contacts": []}, "contacts"),
    ({"period": "daily", "handover": "08:00", "starts_on": "2026-01-01", "contacts": ["1"]}, "contacts[0]"),
    ({"period": "daily", "handover": "08:00", "starts_on": "2026-01-01"}, "contacts"),
    ({"period": "daily", "handover": "08:00", "starts_on": "2026-01-01", "contacts": [1], "tz": "UTC"}, "tz"),
])
async def test_bad_rotations_are_refused_naming_the_field_and_keep_the_old_one(admin, body, field):
    ana, _, _ = await _team(admin)
    good = {"period": "daily", "handover": "08:00", "starts_on": "2026-01-01", "contacts": [ana["id"]]}
    assert (await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", good))[0] == 200
    body = {**body, "contacts": [ana["id"]]} if body.get("contacts") == [1] else body
    status, err = await admin.call("PUT", "/api/admin/clients/1000/oncall/rotation", body)
    assert status == 400 and err["field"] == field, err
    assert (await admin.call("GET", "/api/admin/clients/1000/oncall"))[1]["rotation"]["handover"] == "08:00"


@pytest.mark.parametrize("change, field", [
    ({"from": "soon"}, "from"), ({"to": "2026-01-01T07:00"}, "to"), ({"reason": "sick"}, "reason"),
    ({"to": "2027-06-01T08:00"}, "to"), ({"contact": 999}, "contact"), ({"note": "a\nb"}, "note"),
    ({"from": "1900-01-01T00:00", "to": "1900-01-02T00:00"}, "from"),
])
async def test_bad_overrides_are_refused_naming_the_field(admin, change, field):
    ana, _, _ = await _team(admin)
    body = {"contact": ana["id"], "from": "2026-01-01T08:00", "to": "2026-01-02T08:00", **change}
    status, err = await admin.call("POST", "/api/admin/clients/1000/oncall/overrides", body)
    assert status == 400 and err["field"] == field, err
    assert (await admin.call("GET", "/api/admin/clients/1000/oncall"))[1]["overrides"] == []


async def test_an_agent_reads_no_clients_directory_or_schedule(admin):
    def seed(db) -> None:
        agents.add_agent(db, "201", "Agent", "agent-201-secret", "permanence")
        users.add_user(db, "agent201", hash_password("agent-201-pass", log2_n=10), "agent", agent_id="201")

    await admin.store.write(seed)
    resp = await admin.client.post("/api/login", json={"login": "agent201", "password": "agent-201-pass"})
    admin.tokens["agent201"] = (await resp.json())["token"]
    for path in ("/api/contacts", "/api/infopages", "/api/oncall", "/api/oncall/shifts", "/api/oncall.ics",
                 "/api/contacts?client=1000", "/api/oncall?client=1000"):
        status, body = await admin.call("GET", path, login="agent201")
        assert status == 404 and body["error"] == "client not found", path
    assert (await admin.call("POST", "/api/oncall/feed?client=1000", login="agent201"))[0] == 404
