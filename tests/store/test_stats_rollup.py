"""The statistics read from the rollups (whole slots), `calls` (partial slots, odd starts) and the
repeat index (top callers) equal a brute force over every call: on a daylight-saving week, on period
boundaries in the client's zone and to the millisecond, and after calls are rewritten, recovered,
deleted, and IVR steps come late or go."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from store import CallRecord, Scope, calls, ivr_path
from store.clock import iso
from store.ivr_path import IvrStep
from store.stats import StatsQuery, call_stats
from tests.support import two_clients

from .stats_reference import comparable, reference_stats

TORONTO = ZoneInfo("America/Toronto")  # daylight saving time starts on 2026-03-08 at 02:00 (07:00 UTC)
FIRST = datetime(2026, 3, 5, tzinfo=TORONTO)
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
CALLERS = [f"+1514555{n:04d}" for n in range(12)] + ["", None]
DISPOSITIONS = ("answered", "answered", "answered", "abandoned_queue", "abandoned_ivr", "voicemail",
                "closed_hours", "failed", "in_progress", "unknown_did")
EDGES = [datetime(2026, 3, d, tzinfo=TORONTO) for d in range(5, 13)] + [
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC), datetime(2026, 3, 8, 6, 59, 59, 999000, tzinfo=UTC),
    datetime(2026, 3, 9, 3, 15, tzinfo=UTC), datetime(2026, 3, 9, 3, 14, 59, 999000, tzinfo=UTC)]


def _record(rng: random.Random, linkedid: str, started: str) -> CallRecord:
    disposition = rng.choice(DISPOSITIONS)
    client = None if disposition == "unknown_did" or rng.random() < 0.03 else rng.choice(("1000", "1000", "2000"))
    queue = rng.choice(("sales", "support", None)) if disposition in ("answered", "abandoned_queue") else None
    wait = round(rng.expovariate(1 / 20), rng.choice((0, 1, 3))) if queue else None
    talk = round(rng.uniform(5, 400), 3) if disposition == "answered" and rng.random() < 0.9 else None
    return CallRecord(linkedid=linkedid, started_at=started, disposition=disposition, client_code=client,
                      caller_number=rng.choice(CALLERS), queue=queue, wait_s=wait, talk_s=talk)


def _steps(rng: random.Random, linkedid: str) -> list[IvrStep]:
    steps = []
    for _ in range(rng.randrange(4)):
        digit = rng.choice(("1", "2", "9", None))
        steps.append(IvrStep("t", rng.choice(("main", "night")), "top", "menu", digit,
                             rng.choice((f"choice {digit} -> sales", "timeout 1/3", f"CHOICE {digit} -> support"))))
    return steps


@pytest.fixture
def db(tmp_path):
    rng = random.Random(8)
    for db in two_clients(tmp_path):
        db.execute("UPDATE clients SET service_level_s = 15 WHERE code = '2000'")
        span = int((datetime(2026, 3, 13, tzinfo=TORONTO) - FIRST).total_seconds() * 1000)
        for k in range(900):
            at = FIRST + timedelta(milliseconds=rng.randrange(span))
            if k % 9 == 0:  # on an edge, or a millisecond either side of one
                at = rng.choice(EDGES) + timedelta(milliseconds=rng.choice((-1, 0, 0, 1)))
            started = iso(at)
            if k % 50 == 0:  # a start not in the store's form: the rollups leave it to the calls
                started = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            calls.save_call(db, _record(rng, f"c{k}", started))
            if k % 3 == 0:
                ivr_path.add_steps(db, f"c{k}", _steps(rng, f"c{k}"))
        yield db


def _queries() -> list[tuple[Scope, StatsQuery]]:
    week = {"start": FIRST, "end": datetime(2026, 3, 13, tzinfo=TORONTO), "timezone": "America/Toronto"}
    odd = {"start": datetime(2026, 3, 6, 13, 7, 42, 123000, tzinfo=UTC),
           "end": datetime(2026, 3, 9, 3, 15, 0, 1000, tzinfo=UTC), "timezone": "America/Toronto"}
    return [
        (Scope.client("1000"), StatsQuery(**week)),
        (Scope.client("1000"), StatsQuery(**week, top=2)),
        (Scope.everything(), StatsQuery(**week, client_code="1000", top=100)),
        (Scope.everything(), StatsQuery(**{**week, "timezone": "UTC"}, top=3)),
        (Scope.everything(), StatsQuery(**week, client_code="1000", queue="sales")),
        (Scope.client("2000"), StatsQuery(**odd, top=1)),
        (Scope.client("1000"), StatsQuery(**odd)),
        (Scope.everything(), StatsQuery(**{**odd, "timezone": "Asia/Kolkata"})),
        (Scope.client("1000"), StatsQuery(datetime(2026, 3, 8, 6, 59, 59, 999000, tzinfo=UTC),
                                          datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "America/Toronto")),
        (Scope.everything(), StatsQuery(datetime(2026, 3, 8, tzinfo=TORONTO), datetime(2026, 3, 9, tzinfo=TORONTO),
                                        "America/St_Johns", client_code="1000", queue="support", top=4)),
    ]


def _delete(db, rng: random.Random, n: int) -> None:
    """n calls deleted (as a retention of calls would), chosen by `rng`."""
    for linkedid in rng.sample([r[0] for r in db.execute("SELECT linkedid FROM calls ORDER BY linkedid")], n):
        db.execute("DELETE FROM calls WHERE linkedid = ?", [linkedid])


def _check(db, now: datetime = NOW) -> None:
    for scope, query in _queries():
        assert comparable(call_stats(db, scope, query, now)) == reference_stats(db, scope, query, now), query


def test_the_dst_week_and_its_edges_equal_a_brute_force(db):
    _check(db)
    # The client's 60-day window cuts the period where the history stops, mid-slot.
    _check(db, datetime(2026, 5, 7, 10, 3, 7, tzinfo=UTC))


def test_the_top_callers_come_from_the_repeat_index_when_enough_callers_called_often(db):
    scope, query = Scope.client("1000"), StatsQuery(FIRST, datetime(2026, 3, 13, tzinfo=TORONTO),
                                                     "America/Toronto", top=3)
    top = call_stats(db, scope, query, NOW)["top_callers"]
    assert top == reference_stats(db, scope, query, NOW)["top_callers"] and top[-1]["calls"] > 5
    # An index the shortcut reads, gone: the same question now fails — it was read.
    db.execute("DROP INDEX calls_repeat5")
    with pytest.raises(Exception, match="calls_repeat5"):
        call_stats(db, scope, query, NOW)


def test_calls_rewritten_recovered_and_deleted_after_being_counted(db):
    _check(db)
    rng = random.Random(3)
    rows = [dict(r) for r in db.query("SELECT * FROM calls ORDER BY linkedid")]
    for row in rng.sample(rows, 120):  # the listener's upsert: another disposition, queue, wait, client, start
        moved = iso(datetime.fromisoformat(row["started_at"].replace("Z", "+00:00"))
                    + timedelta(minutes=rng.choice((0, 0, 7, -200, 1440))))
        calls.save_call(db, _record(rng, row["linkedid"], moved))
    for k in range(40):  # recovered from CEL afterwards, into slots already counted
        calls.save_call(db, replace(_record(rng, f"cel{k}", rows[k * 7]["started_at"]), recovered=True))
    _delete(db, rng, 150)
    db.execute("UPDATE calls SET wait_s = wait_s + 100 WHERE linkedid IN ('c10', 'c20', 'c30')")
    db.execute("UPDATE calls SET wait_s = NULL WHERE linkedid IN ('c40', 'c41')")
    _check(db)


def test_ivr_steps_written_after_the_call_or_removed(db):
    for linkedid in ("c1", "c2", "c4", "c5"):
        ivr_path.add_steps(db, linkedid, [IvrStep("t", "main", "top", "menu", "1", "choice 1 -> sales")] * 2)
    db.execute("DELETE FROM ivr_steps WHERE linkedid IN ('c0', 'c3', 'c6') AND seq = 1")
    db.execute("UPDATE ivr_steps SET digit = '7', outcome = 'choice 7 -> other' WHERE linkedid = 'c9'")
    _check(db)


def test_the_migration_fills_the_rollups_as_the_triggers_keep_them(db):
    """Rebuilt from scratch (the migration's own statements), the rollups hold what the triggers made."""
    from store.schema_stats import STATS_ROLLUPS
    tables = {"stats_slots": "offered", "stats_days": "offered", "stats_hours": "offered", "stats_waits": "waits",
              "stats_hour_waits": "waits",
              "stats_reasons": "calls"}

    def rows() -> dict[str, list]:
        return {t: sorted(db.execute(f"SELECT * FROM {t} WHERE {n} != 0").fetchall())
                for t, n in tables.items()}

    db.execute("DELETE FROM calls WHERE linkedid IN ('c1', 'c2', 'c3')")
    kept = rows()
    assert all(kept.values())
    for t in tables:
        db.execute(f"DELETE FROM {t}")
    for statement in STATS_ROLLUPS.split("CREATE INDEX calls_stats")[0].split(";"):
        if statement.strip().startswith("INSERT INTO stats_"):
            db.execute(statement)
    assert rows() == kept


def test_each_call_keeps_its_callers_earlier_calls_through_every_write(db):
    """stats_repeat2/5 (the top callers' shortcut) equal their definition after calls written out of
    order, moved, given another caller or client, and deleted."""
    rng = random.Random(5)
    rows = [dict(r) for r in db.query("SELECT * FROM calls ORDER BY linkedid")]
    for row in rng.sample(rows, 80):
        calls.save_call(db, replace(_record(rng, row["linkedid"], row["started_at"]),
                                    caller_number=rng.choice(CALLERS[:3])))
    _delete(db, rng, 90)
    db.execute("UPDATE calls SET started_at = '2026-03-07T10:00:00.000Z' WHERE linkedid IN ('c11', 'c12', 'c13')")
    kept = db.execute("SELECT linkedid, stats_repeat2, stats_repeat5 FROM calls ORDER BY linkedid").fetchall()
    assert sum(1 for r in kept if r[2]) > 100
    db.execute("UPDATE calls SET stats_repeat2 = NULL, stats_repeat5 = NULL")
    db.execute(
        "UPDATE calls SET stats_repeat2 = w.r2, stats_repeat5 = w.r5 FROM (SELECT linkedid, "
        "lag(started_at, 2) OVER chain AS r2, lag(started_at, 5) OVER chain AS r5 FROM calls "
        "WHERE client_code IS NOT NULL AND caller_number IS NOT NULL "
        "WINDOW chain AS (PARTITION BY client_code, caller_number ORDER BY started_at, linkedid)) w "
        "WHERE calls.linkedid = w.linkedid")
    assert db.execute("SELECT linkedid, stats_repeat2, stats_repeat5 FROM calls ORDER BY linkedid").fetchall() == kept
