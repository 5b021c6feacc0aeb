"""Named on-call schedules in a real SQLite file: the one rotation a store had becomes the client's
`default` by migration (who is on call unchanged, override ids and the feed kept); each schedule has its
own rotation, overrides and feed; names and labels are checked; `default` and a schedule a live menu, a
queue's overflow or the dispatch protocol names cannot be removed, and the refusal says who names it."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from store import clients, connect, menus, migrate, protocols, queues
from store import contacts as ct
from store import oncall as oc
from store import oncall_schedules as sch
from store.db import _statements
from store.oncall_schedules import ScheduleError, ScheduleInUse, ScheduleNotFound
from store.protocols import ProtocolError
from store.queues import Queue, QueueError
from store.schema import MIGRATIONS

# The migrations before the one that names schedules: a store at that version has one rotation per client.
BEFORE = next(n for n, script in enumerate(MIGRATIONS) if "CREATE TABLE oncall_schedules" in script)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "A", timezone="America/Montreal")
    clients.add_client(conn, "2000", "B")
    yield conn
    conn.close()


def test_the_rotation_of_an_older_store_becomes_the_default_schedule(tmp_path):
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version in range(1, BEFORE + 1):
        for statement in _statements(MIGRATIONS[version - 1]):
            raw.execute(statement)
        raw.execute("INSERT INTO schema_version (version) VALUES (?)", [version])
    now = "2026-01-01T00:00:00.000Z"
    raw.execute("INSERT INTO clients (code, name, timezone, created_at) VALUES ('1000', 'A', 'America/Montreal', ?)",
                [now])
    for cid, name in ((1, "Ana"), (2, "Ben")):
        raw.execute("INSERT INTO contacts (id, client_code, name, created_at) VALUES (?, '1000', ?, ?)",
                    [cid, name, now])
    raw.execute("INSERT INTO oncall_rotations VALUES ('1000', 'daily', '08:00', '2026-01-01', ?)", [now])
    raw.execute("INSERT INTO oncall_members VALUES ('1000', 0, 1), ('1000', 1, 2)")
    raw.execute("INSERT INTO oncall_overrides (id, client_code, contact_id, starts_at, ends_at, reason, note, "
                "created_at) VALUES (7, '1000', 2, '2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z', 'swap', "
                "'', ?)", [now])
    raw.execute("INSERT INTO oncall_feeds VALUES ('1000', 'hash-1', ?)", [now])
    raw.close()

    assert migrate(path) == len(MIGRATIONS)
    db = connect(path)
    try:
        assert [(s.name, s.label) for s in sch.list_schedules(db, "1000")] == [("default", "")]
        kept = oc.schedule(db, "1000")
        assert kept.rotation is not None and kept.rotation.contacts == (1, 2) and kept.name == "default"
        assert [o.id for o in kept.overrides] == [7]
        jan = datetime(2026, 1, 2, 18, tzinfo=UTC)  # 13:00 in Montreal: shift 1, Ben
        assert oc.who_is_on_call(db, "1000", jan).name == "Ben"
        assert oc.who_is_on_call(db, "1000", datetime(2026, 2, 1, 12, tzinfo=UTC)).name == "Ben"  # the override
        assert oc.who_is_on_call(db, "1000", datetime(2026, 1, 3, 18, tzinfo=UTC)).name == "Ana"
        assert oc.feed_for_token(db, "hash-1") == ("1000", "default")
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def test_every_client_has_default_and_schedules_are_kept_apart(db):
    assert [s.name for s in sch.list_schedules(db, "2000")] == ["default"]
    ana, ben, cleo = (ct.add_contact(db, "1000", n).id for n in ("Ana", "Ben", "Cléo"))
    made = sch.add_schedule(db, "1000", "medical", " Médical ")
    assert (made.name, made.label) == ("medical", "Médical")
    sch.add_schedule(db, "1000", "site-2")
    assert [s.name for s in sch.list_schedules(db, "1000")] == ["default", "medical", "site-2"]
    oc.set_rotation(db, "1000", "daily", "08:00", "2026-01-01", [ana])
    oc.set_rotation(db, "1000", "weekly", "09:00", "2026-01-01", [ben, cleo], schedule="medical")
    at = datetime(2026, 1, 5, 12, tzinfo=UTC)  # the weekly schedule's first shift: Ben
    assert oc.who_is_on_call(db, "1000", at).id == ana
    assert oc.who_is_on_call(db, "1000", at, "medical").id == ben
    assert oc.who_is_on_call(db, "1000", at, "site-2") is None  # no rotation there yet
    swap = oc.add_override(db, "1000", cleo, at - timedelta(hours=1), at + timedelta(hours=1), schedule="medical")
    assert oc.who_is_on_call(db, "1000", at, "medical").id == cleo
    assert oc.who_is_on_call(db, "1000", at).id == ana  # the default schedule's own stays
    assert [o.id for o in oc.schedule(db, "1000", "medical").overrides] == [swap.id]
    assert oc.schedule(db, "1000").overrides == ()
    with pytest.raises(oc.OncallNotFound, match="no override"):
        oc.remove_override(db, "1000", swap.id, "default")  # another schedule's override
    oc.set_feed_token(db, "1000", "h-default")
    oc.set_feed_token(db, "1000", "h-medical", "medical")
    assert oc.feed_for_token(db, "h-medical") == ("1000", "medical")
    assert oc.feed_for_token(db, "h-default") == ("1000", "default")
    assert sch.relabel_schedule(db, "1000", "medical", "Médical (nuit)").label == "Médical (nuit)"

    sch.remove_schedule(db, "1000", "medical")  # its rotation, members, overrides and feed go with it
    assert oc.get_rotation(db, "1000", schedule="medical") is None
    assert db.execute("SELECT count(*) FROM oncall_members WHERE schedule = 'medical'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM oncall_overrides").fetchone()[0] == 0
    assert oc.feed_for_token(db, "h-medical") is None
    assert oc.who_is_on_call(db, "1000", at).id == ana
    with pytest.raises(oc.OncallNotFound, match="has no on-call schedule 'medical'") as caught:
        oc.schedule(db, "1000", "medical")
    assert caught.value.field == "schedule"


@pytest.mark.parametrize("name", ["", "Medical", "médical", "-x", "a b", "x" * 33, 3])
def test_bad_names_and_labels_are_refused_naming_the_field(db, name):
    with pytest.raises(ScheduleError) as caught:
        sch.add_schedule(db, "1000", name)
    assert caught.value.field == "name" and str(caught.value).startswith("name:")
    with pytest.raises(ScheduleError) as caught:
        sch.add_schedule(db, "1000", "ok", "a\nb")
    assert caught.value.field == "label"
    assert [s.name for s in sch.list_schedules(db, "1000")] == ["default"]  # nothing kept


def test_taken_unknown_and_default_are_refused(db):
    sch.add_schedule(db, "1000", "tech")
    with pytest.raises(ScheduleInUse, match="already"):
        sch.add_schedule(db, "1000", "tech")
    sch.add_schedule(db, "2000", "tech")  # another client's may share the name
    with pytest.raises(ScheduleNotFound, match="no client 9999"):
        sch.add_schedule(db, "9999", "tech")
    with pytest.raises(ScheduleNotFound, match="has no on-call schedule 'nope'"):
        sch.relabel_schedule(db, "1000", "nope", "x")
    with pytest.raises(ScheduleInUse, match="default schedule cannot be removed"):
        sch.remove_schedule(db, "1000", "default")
    contact = ct.add_contact(db, "1000", "Ana").id
    with pytest.raises(oc.OncallNotFound) as caught:
        oc.set_rotation(db, "1000", "daily", "08:00", "2026-01-01", [contact], schedule="nope")
    assert caught.value.field == "schedule" and oc.get_rotation(db, "1000", schedule="nope") is None


def test_a_named_schedule_cannot_go_and_the_refusal_says_who_names_it(db):
    sch.add_schedule(db, "1000", "tech")
    menus.apply_menu(db, "line", "1000", "line.yaml", "menu: line", schedules={"tech"})
    queues.save_queue(db, Queue("1000-q", "1000", overflow_action="oncall", overflow_schedule="tech"))
    protocols.set_protocol(db, "1000", [{"channel": "sms", "to": "on_call", "wait_s": 60},
                                        {"channel": "phone", "to": "on_call", "wait_s": 60, "schedule": "tech"}])
    assert sch.users(db, "1000", "tech") == ["menu line", "queue 1000-q (overflow)",
                                              "the dispatch protocol (step 2)"]
    with pytest.raises(ScheduleInUse) as caught:
        sch.remove_schedule(db, "1000", "tech")
    assert str(caught.value) == ("name: on-call schedule 'tech' of client 1000 is still named by menu line, queue "
                                 "1000-q (overflow), the dispatch protocol (step 2); change them first")
    assert sch.get_schedule(db, "1000", "tech") is not None
    # Each let go, the schedule can go.
    menus.apply_menu(db, "line", "1000", "line.yaml", "menu: line v2")
    queues.save_queue(db, Queue("1000-q", "1000", overflow_action="oncall"))
    protocols.set_protocol(db, "1000", [{"channel": "sms", "to": "on_call", "wait_s": 60}])
    assert sch.users(db, "1000", "tech") == []
    sch.remove_schedule(db, "1000", "tech")
    # The menu's first version named it: rolling back to it is refused.
    with pytest.raises(menus.MenuConflict, match="has no on-call schedule 'tech'"):
        menus.rollback_menu(db, "line")
    assert menus.active_menu(db, "line").version == 2


def test_queues_and_protocols_naming_an_unknown_schedule_are_refused(db):
    with pytest.raises(QueueError) as caught:
        queues.save_queue(db, Queue("1000-q", "1000", overflow_action="oncall", overflow_schedule="nope"))
    assert caught.value.field == "overflow_schedule" and "client 1000 has no on-call schedule 'nope'" in str(
        caught.value)
    for queue, words in ((Queue("q", None, overflow_action="oncall", overflow_schedule="tech"), "shared queue"),
                         (Queue("q", "1000", overflow_schedule="tech"), "only for overflow_action oncall"),
                         (Queue("q", "1000", overflow_action="oncall", overflow_schedule="Tech!"), "a-z")):
        with pytest.raises(QueueError, match=words) as caught:
            queues.save_queue(db, queue)
        assert caught.value.field == "overflow_schedule"
    assert queues.list_queues(db) == []
    sch.add_schedule(db, "1000", "tech")
    queues.save_queue(db, dataclasses.replace(Queue("1000-q", "1000", overflow_action="oncall"),
                                              overflow_schedule="tech"))
    assert queues.get_queue(db, "1000-q").overflow_schedule == "tech"

    with pytest.raises(ProtocolError, match="step 1: schedule: client 1000 has no on-call schedule 'night'") as caught:
        protocols.set_protocol(db, "1000", [{"channel": "sms", "to": "on_call", "wait_s": 60, "schedule": "night"}])
    assert caught.value.field == "schedule" and not protocols.has_protocol(db, "1000")
    contact = ct.add_contact(db, "1000", "Ana").id
    with pytest.raises(ProtocolError, match="schedule is for to \"on_call\" steps only"):
        protocols.set_protocol(db, "1000", [{"channel": "sms", "to": contact, "wait_s": 60, "schedule": "tech"}])
    steps = protocols.set_protocol(db, "1000", [{"channel": "sms", "to": "on_call", "wait_s": 60, "schedule": "tech"},
                                                {"channel": "email", "to": "on_call", "wait_s": 60}])
    assert [s.schedule for s in steps] == ["tech", "default", "default"]
    assert [s.schedule for s in protocols.get_protocol(db, "1000")] == ["tech", "default", "default"]
    assert protocols.get_protocol(db, "1000")[1].as_json() == {"channel": "email", "to": "on_call", "wait_s": 60}
