"""The on-call schedule on the running system: `permanence serve` (its own configuration, store file and
web port) and the command line on the same store — contacts added with the CLI, the rotation set over the
admin API, an override with the CLI; `permanence oncall who`, GET /api/oncall and the iCalendar feed
(fetched with its token alone) name the same contact; the other tenant gets 404."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from store import connect
from store.oncall import who_is_on_call

from .conftest import ADMIN_PASSWORD, DEMO_PASSWORD, OTHER_PASSWORD, System

pytestmark = pytest.mark.asterisk
ZONE = ZoneInfo("America/Toronto")  # client 2000's (the CLI's default)


def test_the_schedule_through_the_cli_the_api_and_the_feed(system: System) -> None:
    ids = [system.cli("contacts", "add", "2000", name, "--mobile", f"416 555 01{i}0").split("\t")[0]
           for i, name in enumerate(("Gil", "Hana"))]
    admin = system.login("admin", ADMIN_PASSWORD)
    first_day = (datetime.now(ZONE) - timedelta(days=3)).date().isoformat()
    status, _, body = system.request("PUT", "/api/admin/clients/2000/oncall/rotation", token=admin, body={
        "period": "daily", "handover": "07:00", "starts_on": first_day, "contacts": [int(i) for i in ids]})
    assert status == 200, body
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).date().isoformat()
    system.cli("oncall", "override", "2000", ids[0], f"{tomorrow}T12:00", f"{tomorrow}T14:00", "--reason", "swap")

    other = system.login("other", OTHER_PASSWORD)
    for moment in (datetime.now(UTC), datetime.fromisoformat(f"{tomorrow}T13:00").replace(tzinfo=ZONE),
                   datetime.fromisoformat(f"{tomorrow}T14:00").replace(tzinfo=ZONE)):
        at = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        by_cli = system.cli("oncall", "who", "2000", "--at", at).split("\t")[:2]
        status, _, body = system.request("GET", f"/api/oncall?at={at}", token=other)
        answer = json.loads(body)
        assert status == 200 and [str(answer["contact"]["id"]), answer["contact"]["name"]] == by_cli, at
    assert json.loads(system.request("GET", f"/api/oncall?at={tomorrow}T13:00", token=other)[2])["source"] == \
        "override"

    status, _, body = system.request("POST", "/api/oncall/feed", token=other)
    assert status == 201
    status, headers, feed = system.request("GET", json.loads(body)["url"] + "&days=5")  # no login
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    events = list(icalendar.Calendar.from_ical(feed).walk("VEVENT"))
    assert len(events) >= 8
    db = connect(system.values["store"])  # the store file `permanence serve` writes
    try:
        for event in events:
            for at in (event.start, event.start + (event.end - event.start) / 2, event.end - timedelta(seconds=1)):
                name = who_is_on_call(db, "2000", at).name
                assert str(event["SUMMARY"]) == f"On call: {name}", at  # client 2000 speaks English
    finally:
        db.close()

    demo = system.login("demo", DEMO_PASSWORD)
    for path in ("/api/oncall?client=2000", "/api/contacts?client=2000", "/api/oncall.ics?client=2000"):
        assert system.request("GET", path, token=demo)[0] == 404, path
