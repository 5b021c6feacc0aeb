"""Custom reports and the daily reports over the API: every grouping equals a brute-force count of the
same seeded calls and messages; CSV holds the JSON's rows; keys are checked (400 naming the key); another
client's report or daily report is 404."""

from __future__ import annotations

import csv
import io
import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from store import CallRecord, calls, messages
from store import reports as daily
from store.clock import iso, parse_iso

from .conftest import Api

ZONE = ZoneInfo("America/Toronto")  # client 1000's
DISPOSITIONS = ("answered", "answered", "abandoned_queue", "abandoned_ivr", "voicemail", "in_progress")
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=9)


def seed(db, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Calls and messages of clients 1000 and 2000 over 9 days; some calls with no message, some with two
    (their first message's fields count for the call), messages with no call; fields that vary."""
    made_calls, made_messages = [], []
    for n in range(160):
        client = "1000" if n % 4 else "2000"
        started = START + timedelta(minutes=rng.randrange(9 * 24 * 60 - 30))
        disposition = rng.choice(DISPOSITIONS)
        queued = disposition in ("answered", "abandoned_queue") and rng.random() < 0.8
        call = {"linkedid": f"17{n:08d}.{n}", "client_code": client, "started_at": iso(started),
                "disposition": disposition, "queue": rng.choice(("accueil", "urgence")) if queued else None,
                "agent": rng.choice(("101", "102")) if disposition == "answered" and queued else None,
                "did": rng.choice(("+15145550100", "+15145550101")),
                "wait_s": round(rng.uniform(0, 90), 1) if queued else None,
                "talk_s": round(rng.uniform(10, 600), 1) if disposition == "answered" else None}
        calls.save_call(db, CallRecord(**call))
        made_calls.append(call)
    cities, natures = ("Laval", "Montréal", "=cmd()", None), ("urgence", "rendez-vous", "info")
    for n in range(140):
        linked = rng.choice(made_calls) if rng.random() < 0.75 else None
        client = linked["client_code"] if linked else rng.choice(("1000", "2000"))
        at = parse_iso(linked["started_at"]) + timedelta(seconds=90) if linked else \
            START + timedelta(minutes=rng.randrange(9 * 24 * 60))
        fields = {"nature": rng.choice(natures), "language": rng.choice(("fr", "en"))}
        city = rng.choice(cities)
        if city is not None:
            fields["city"] = city
        message = messages.create_message(db, client, "agent101", text=f"message {n}", fields=fields,
                                          linkedid=linked["linkedid"] if linked else None, at=iso(at))
        made_messages.append({"id": message.id, "client_code": client, "created_at": iso(at), "fields": fields,
                              "linkedid": linked["linkedid"] if linked else None})
    return made_calls, made_messages


def brute_force(made_calls: list[dict], made_messages: list[dict], keys: list[str], client: str,
                start: datetime, end: datetime) -> dict[tuple, dict]:
    """The documented formulas, computed the slow way."""
    by_call = {c["linkedid"]: c for c in made_calls}
    first_message: dict[str, dict] = {}
    for m in sorted(made_messages, key=lambda m: m["id"]):
        if m["linkedid"]:
            first_message.setdefault(m["linkedid"], m)

    def value(key: str, call: dict | None, message: dict | None, moment: str):
        if key.startswith("fields."):
            return (message or {}).get("fields", {}).get(key[7:])
        if key in ("day", "hour"):
            local = parse_iso(moment).astimezone(ZONE)
            return local.date().isoformat() if key == "day" else local.hour
        if call is None:
            return None
        return call["client_code" if key == "client" else key]

    def mean(total: Fraction, count: int) -> float | None:  # exact, to 1 decimal with halves up
        return float(Decimal(math.floor(total / count * 10 + Fraction(1, 2))) / 10) if count else None

    groups: dict[tuple, dict] = defaultdict(lambda: defaultdict(Fraction))
    for c in made_calls:
        if c["client_code"] != client or not iso(start) <= c["started_at"] < iso(end) \
                or c["disposition"] == "in_progress":
            continue
        g = groups[tuple(value(k, c, first_message.get(c["linkedid"]), c["started_at"]) for k in keys)]
        g["calls"] += 1
        g["answered"] += c["disposition"] == "answered"
        g["abandoned"] += c["disposition"] in ("abandoned_queue", "abandoned_ivr")
        if c["wait_s"] is not None:
            g["wait_sum"] += Fraction(str(c["wait_s"]))
            g["waits"] += 1
        if c["disposition"] == "answered" and c["talk_s"] is not None:
            g["talk_sum"] += Fraction(str(c["talk_s"]))
            g["talks"] += 1
    for m in made_messages:
        if m["client_code"] != client or not iso(start) <= m["created_at"] < iso(end):
            continue
        groups[tuple(value(k, by_call.get(m["linkedid"] or ""), m, m["created_at"]) for k in keys)]["messages"] += 1
    return {k: {"messages": int(g["messages"]), "calls": int(g["calls"]), "answered": int(g["answered"]),
                "abandoned": int(g["abandoned"]),
                "wait_avg_s": mean(g["wait_sum"], g["waits"]), "talk_avg_s": mean(g["talk_sum"], g["talks"])}
            for k, g in groups.items()}


@pytest.fixture
async def seeded(api: Api) -> tuple[list[dict], list[dict]]:
    """The seed's calls and messages, and the calls the api fixture made before (as they are stored)."""
    def both(db):
        before = list(db.query("SELECT linkedid, client_code, started_at, disposition, queue, agent, did, wait_s, "
                               "talk_s FROM calls"))
        made_calls, made_messages = seed(db, random.Random(7))
        return before + made_calls, made_messages
    return await api.store.write(both)


GROUPINGS = [["fields.city"], ["disposition"], ["fields.nature", "queue"], ["fields.language", "agent", "day"],
             ["hour"], ["did", "fields.city"], []]


@pytest.mark.parametrize("keys", GROUPINGS, ids=lambda k: ",".join(k) or "totals")
async def test_a_grouping_equals_the_brute_force_count(api: Api, seeded, keys: list[str]) -> None:
    made_calls, made_messages = seeded
    start, end = START + timedelta(days=1), NOW + timedelta(minutes=1)
    params = {"from": iso(start), "to": iso(end), **({"group": ",".join(keys)} if keys else {})}
    resp = await api.get("/api/reports", "alice", params=params)
    assert resp.status == 200, await resp.text()
    report = await resp.json()
    assert report["group"] == keys and report["client"] == "1000"
    got = {tuple(row[k] for k in keys): {m: row[m] for m in ("messages", "calls", "answered", "abandoned",
                                                              "wait_avg_s", "talk_avg_s")}
           for row in report["rows"]}
    expected = brute_force(made_calls, made_messages, keys, "1000", start, end)
    assert got == expected
    assert len(got) > (1 if keys else 0)  # the seed makes several groups of each key
    assert report["totals"]["calls"] == sum(g["calls"] for g in expected.values())

    resp = await api.get("/api/reports", "alice", params={**params, "format": "csv"})
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(await resp.text())))
    assert rows[0] == [*keys, "messages", "calls", "answered", "abandoned", "wait_avg_s", "talk_avg_s"]
    assert len(rows) - 1 == len(report["rows"])
    for line, row in zip(rows[1:], report["rows"], strict=True):
        cells = ["" if v is None else ("'" + v if isinstance(v, str) and v.startswith("=") else str(v))
                 for v in (*(row[k] for k in keys), *(row[m] for m in ("messages", "calls", "answered", "abandoned",
                                                                        "wait_avg_s", "talk_avg_s")))]
        assert line == cells


async def test_group_keys_are_checked_and_the_bad_one_named(api: Api, seeded) -> None:
    for group, named in (("fields.city,queue,colour", "colour"), ("fields.cty", "cty"), ("fields.", "fields."),
                         ("a,b,c,d,e", "a")):
        resp = await api.get("/api/reports", "alice", params={"group": group})
        body = await resp.json()
        assert resp.status == 400 and body["parameter"] == "group" and named in body["error"], body
    resp = await api.get("/api/reports", "alice", params={"group": "queue", "sort": "x"})
    assert resp.status == 400 and (await resp.json())["parameter"] == "sort"
    # A field name is bound, never SQL: a name made of SQL is only a field nobody has.
    resp = await api.get("/api/reports", "root", params={"group": "fields.x') OR 1=1 --"})
    assert resp.status == 400 and "no message" in (await resp.json())["error"]


async def test_another_clients_report_is_404_and_staff_choose_a_client(api: Api, seeded) -> None:
    assert (await api.get("/api/reports", "bob", params={"client": "1000"})).status == 404
    assert (await api.get("/api/reports", "bob", params={"client": "9999"})).status == 404
    bob = await (await api.get("/api/reports", "bob", params={"group": "client"})).json()
    assert [row["client"] for row in bob["rows"]] == ["2000"]
    both = await (await api.get("/api/reports", "root", params={"group": "client"})).json()
    assert [row["client"] for row in both["rows"]] == ["1000", "2000"]
    one = await (await api.get("/api/reports", "root", params={"client": "1000", "group": "client"})).json()
    assert [row["client"] for row in one["rows"]] == ["1000"]
    assert (await api.get("/api/reports")).status == 401


async def test_daily_reports_are_listed_and_downloaded_by_their_client_only(api: Api, seeded) -> None:
    def make(db) -> int:
        settings = daily.set_settings(db, "1000", "08:00", [], ["boss@example.org"], now=iso(START))
        held = daily.messages_after(db, "1000", settings.last_message_id)
        return daily.keep_report(db, settings, iso(NOW), iso(NOW), held, "id,text\r\n1,hello\r\n",
                                 ["boss@example.org"], "no_smtp").id

    db_settings = await api.store.write(make)
    listed = await (await api.get("/api/reports/daily", "alice")).json()
    assert [r["id"] for r in listed["reports"]] == [db_settings]
    assert (await (await api.get("/api/reports/daily", "bob")).json())["reports"] == []
    resp = await api.get(f"/api/reports/daily/{db_settings}.csv", "alice")
    assert resp.status == 200 and await resp.text() == "id,text\r\n1,hello\r\n"
    assert "report-1000-" in resp.headers["Content-Disposition"]
    assert (await api.get(f"/api/reports/daily/{db_settings}.csv", "bob")).status == 404
    assert (await api.get("/api/reports/daily/999.csv", "alice")).status == 404
    assert (await api.get("/api/reports/daily", "bob", params={"client": "1000"})).status == 404


async def test_admins_set_the_daily_report_and_bad_settings_are_named(api: Api) -> None:
    headers = {"Authorization": f"Bearer {await api.token('root')}"}
    path = "/api/admin/clients/1000/daily-report"
    assert (await api.client.get(path, headers=headers)).status == 404
    resp = await api.client.put(path, headers=headers, json={"at": "07:30", "roles": ["manager"],
                                                             "emails": ["Boss@Example.org"]})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["at"] == "07:30"
    for body, field in (({"at": "25:00"}, "at"), ({"at": "07:30", "emails": ["nope"]}, "emails"),
                        ({"at": "07:30", "roles": "manager"}, "roles"), ({"at": "07:30", "when": 1}, "when")):
        resp = await api.client.put(path, headers=headers, json=body)
        assert resp.status == 400 and (await resp.json())["field"] == field, await resp.text()
    assert (await (await api.client.get(path, headers=headers)).json())["emails"] == ["Boss@example.org"]
    alice = {"Authorization": f"Bearer {await api.token('alice')}"}
    assert (await api.client.put(path, headers=alice, json={"at": "07:30"})).status == 404
    assert (await api.client.put("/api/admin/clients/9999/daily-report", headers=headers,
                                 json={"at": "07:30"})).status == 404
    assert (await api.client.delete(path, headers=headers)).status == 204
    assert (await api.client.get(path, headers=headers)).status == 404


async def test_day_and_hour_are_local_across_the_spring_change(api: Api) -> None:
    """Calls every 20 minutes from 2026-03-07 22:00 to 03-08 06:00 Toronto time (the clocks go from 02:00 to
    03:00 on the 8th): each is counted in its local day and hour, and the 02:00 hour does not exist."""
    first = datetime(2026, 3, 8, 3, 0, tzinfo=UTC)  # 2026-03-07 22:00 EST
    made = [{"linkedid": f"1772900000.{n}", "client_code": "1000", "started_at": iso(first + timedelta(minutes=20 * n)),
             "disposition": "answered", "queue": None, "agent": None, "did": None, "wait_s": None, "talk_s": 30.0}
            for n in range(24)]
    await api.store.write(lambda db: [calls.save_call(db, CallRecord(**c)) for c in made])
    params = {"client": "1000", "from": "2026-03-07T00:00:00", "to": "2026-03-09T00:00:00", "group": "day,hour"}
    report = await (await api.get("/api/reports", "root", params=params)).json()
    got = {(r["day"], r["hour"]): r["calls"] for r in report["rows"]}
    expected = brute_force(made, [], ["day", "hour"], "1000", parse_iso("2026-03-07T05:00:00Z"),
                           parse_iso("2026-03-09T04:00:00Z"))
    assert got == {k: v["calls"] for k, v in expected.items()}
    assert ("2026-03-08", 2) not in got and got[("2026-03-08", 1)] == 3 and got[("2026-03-08", 3)] == 3
    assert got[("2026-03-07", 23)] == 3 and sum(got.values()) == 24


async def test_means_do_not_depend_on_the_order_durations_are_added_in(api: Api) -> None:
    """Waits of 33.2 and 33.3 s mean 33.25 s, shown 33.3 (halves up; float halves went either way), and
    0.1 + 0.2 + 0.3 over three calls in two hours of one day is 0.2 whatever the grouping adds first."""
    first = datetime(2026, 2, 2, 15, 0, tzinfo=UTC)
    made = [{"linkedid": f"1770000000.{n}", "client_code": "1000", "started_at": iso(first + timedelta(minutes=m)),
             "disposition": "answered", "queue": "accueil", "agent": "101", "did": None, "wait_s": w, "talk_s": t}
            for n, (m, w, t) in enumerate(((0, 33.2, 0.1), (70, 33.3, 0.2), (80, None, 0.3)))]
    await api.store.write(lambda db: [calls.save_call(db, CallRecord(**c)) for c in made])
    params = {"client": "1000", "from": "2026-02-02T00:00:00", "to": "2026-02-03T00:00:00"}
    for group in ("day", "hour", "queue"):
        report = await (await api.get("/api/reports", "root", params={**params, "group": group})).json()
        assert report["totals"]["wait_avg_s"] == 33.3 and report["totals"]["talk_avg_s"] == 0.2, report
    by_hour = await (await api.get("/api/reports", "root", params={**params, "group": "hour"})).json()
    assert [(r["hour"], r["wait_avg_s"], r["talk_avg_s"]) for r in by_hour["rows"]] == [(10, 33.2, 0.1),
                                                                                       (11, 33.3, 0.3)]
