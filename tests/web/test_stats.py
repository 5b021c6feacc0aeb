"""GET /api/stats through HTTP: who sees which client, the parameters, figures from the seeded history."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from store.clock import parse_iso

from .conftest import Api
from .history_data import DAY, with_history

TORONTO = ZoneInfo("America/Toronto")


async def _stats(api: Api, headers: dict, query: str = "") -> dict:
    resp = await api.client.get(f"/api/stats?{query}", headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_a_client_gets_its_own_figures(api: Api):
    who = await with_history(api)
    stats = await _stats(api, who["alice"])
    t = stats["totals"]
    assert (t["offered"], t["answered"], t["abandoned"], t["abandoned_ivr"], t["abandoned_queue"]) == (7, 4, 2, 1, 1)
    assert (t["voicemail"], t["queued"], t["answered_within_sl"]) == (1, 2, 1)
    assert (t["abandon_rate"], t["queue_abandon_rate"], t["service_level"]) == (0.2857, 0.5, 0.5)
    assert (t["wait_avg_s"], t["wait_p90_s"], t["asa_s"], t["aht_s"]) == (26.0, 40.0, 12.0, 90.0)
    assert [q["queue"] for q in stats["queues"]] == ["1000-accueil"] and stats["queues"][0]["offered"] == 2
    assert stats["client"] == "1000" and stats["service_level_s"] == 20
    assert stats["period"]["timezone"] == "America/Toronto"
    assert [(c["caller_number"], c["calls"]) for c in stats["top_callers"]] == [
        ("+15145551111", 2), ("+15145553333", 1), ("+15145552222", 1)]
    assert [(r["digit"], r["target"], r["calls"], r["share"]) for r in stats["contact_reasons"]] == [
        ("1", "reception", 2, 0.2857), ("9", "voicemail", 1, 0.1429)]


async def test_hours_and_days_are_the_clients_and_the_default_period_is_seven_days(api: Api):
    who = await with_history(api)
    stats = await _stats(api, who["alice"])
    calls = (await (await api.client.get("/api/calls", headers=who["alice"])).json())["calls"]
    local = [parse_iso(c["started_at"]).astimezone(TORONTO) for c in calls]
    assert {h["hour"]: h["offered"] for h in stats["per_hour"] if h["offered"]} == Counter(t.hour for t in local)
    today = datetime.now(TORONTO).date()
    assert [d["date"] for d in stats["per_day"]] == [(today - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert {d["date"]: d["offered"] for d in stats["per_day"] if d["offered"]} == Counter(
        t.date().isoformat() for t in local)
    start = parse_iso(stats["period"]["from"]).astimezone(TORONTO)
    assert (start.date(), start.hour, start.minute) == (today - timedelta(days=6), 0, 0)


async def test_a_period_of_local_dates_and_a_queue(api: Api):
    who = await with_history(api)
    day = DAY.astimezone(TORONTO).date()
    stats = await _stats(api, who["alice"], f"from={day}&to={day + timedelta(days=1)}&queue=1000-accueil")
    assert stats["period"]["from"] == datetime(day.year, day.month, day.day, tzinfo=TORONTO).astimezone(
        UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert stats["totals"]["offered"] == 2 and stats["queue"] == "1000-accueil"
    end = DAY + timedelta(minutes=15)
    offset = await _stats(api, who["alice"], f"from={quote(DAY.isoformat())}&to={quote(end.isoformat())}")
    assert offset["totals"]["offered"] == 2  # h1 and h2, 10 minutes apart


async def test_service_level_threshold_is_the_clients(api: Api):
    who = await with_history(api)
    await api.store.write(lambda db: db.execute("UPDATE clients SET service_level_s = 10 WHERE code = '1000'"))
    stats = await _stats(api, who["alice"])
    assert stats["service_level_s"] == 10 and stats["totals"]["answered_within_sl"] == 0
    assert stats["totals"]["service_level"] == 0.0


async def test_admins_and_supervisors_choose_the_client(api: Api):
    who = await with_history(api)
    for login in ("root", "sup"):
        everyone = await _stats(api, who[login])
        assert everyone["client"] is None and everyone["service_level_s"] is None
        assert everyone["totals"]["offered"] == 8 and everyone["period"]["timezone"] == "UTC"
        bob = await _stats(api, who[login], "client=2000")
        assert bob["totals"]["offered"] == 1 and bob["client"] == "2000"
        assert (await _stats(api, who[login], "client=1000"))["totals"]["offered"] == 7
        assert (await api.client.get("/api/stats?client=9999", headers=who[login])).status == 404
    assert (await _stats(api, who["bob"]))["totals"]["offered"] == 1
    assert (await _stats(api, who["alice"], "client=1000"))["totals"]["offered"] == 7


@pytest.mark.parametrize(("query", "parameter"), [
    ("from=x", "from"), ("to=2026-02-30", "to"), ("from=2026-02-02&to=2026-02-01", "to"),
    ("from=2024-01-01&to=2026-01-01", "from"), ("top=0", "top"), ("top=101", "top"), ("client=abc", "client"),
    ("client=1000&client=2000", "client"), ("queue=" + "q" * 65, "queue"), ("queue=a%0Ab", "queue"),
    ("period=week", "period"), ("from=2999-01-01", "from"),
])
async def test_bad_values_are_400_naming_the_parameter(api: Api, query: str, parameter: str):
    who = await with_history(api)
    resp = await api.client.get(f"/api/stats?{query}", headers=who["alice"])
    assert resp.status == 400
    body = await resp.json()
    assert body["parameter"] == parameter and body["error"].startswith(f"{parameter}: ")


@pytest.mark.parametrize("evil", ["' OR '1'='1", "1000-accueil' --", "%", "_", "\"; DROP TABLE calls; --"])
async def test_sql_metacharacters_in_the_stats_filters_are_harmless(api: Api, evil: str):
    who = await with_history(api)
    for login in ("alice", "root"):
        resp = await api.client.get("/api/stats", params={"queue": evil}, headers=who[login])
        assert resp.status == 200 and (await resp.json())["totals"]["offered"] == 0
        for name in ("client", "from", "to", "top"):
            resp = await api.client.get("/api/stats", params={name: evil}, headers=who[login])
            assert resp.status == 400 and (await resp.json())["parameter"] == name
    assert (await _stats(api, who["alice"]))["totals"]["offered"] == 7
