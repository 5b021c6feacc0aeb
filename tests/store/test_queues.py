"""Queues as data at the store: every field validated with an error naming it, nothing written when
refused, the SQL CHECKs holding the same bounds, penalty rules kept in order, the defaults for a name
with no row, a queue another one overflows to kept."""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from store import agents, clients, connect, migrate, queues
from store.queues import PenaltyRule, Queue, QueueConflict, QueueError, QueueNotFound


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "A")
    clients.add_client(conn, "2000", "B")
    yield conn
    conn.close()


FULL = Queue("1000-accueil", "1000", label=" Accueil ", strategy="leastrecent", ring_timeout_s=20, retry_s=3,
             wrapup_s=10, max_callers=5, max_wait_s=120, announce_position=True, announce_holdtime=True,
             announce_frequency_s=30, music_class="default", service_level_s=30, service_level_pct=90,
             penalty_rules=(PenaltyRule(0, 0), PenaltyRule(30, 5), PenaltyRule(60, 10)),
             overflow_action="queue", overflow_target="1000-nuit", callback_offer=True, callback_after_s=45,
             callback_key="#")


def test_a_saved_queue_reads_back_whole_with_its_label_stripped(db):
    queues.save_queue(db, FULL)
    assert queues.get_queue(db, "1000-accueil") == dataclasses.replace(FULL, label="Accueil")
    assert queues.get_queue(db, "1000-nuit") is None


def test_save_replaces_the_whole_definition(db):
    queues.save_queue(db, FULL)
    queues.save_queue(db, Queue("1000-accueil", None, strategy="ringall"))
    assert queues.get_queue(db, "1000-accueil") == Queue("1000-accueil", None, strategy="ringall")
    assert db.execute("SELECT count(*) FROM queues").fetchone()[0] == 1


def test_list_every_queue_a_clients_own_or_the_shared_ones(db):
    for queue in (Queue("b", "2000"), Queue("a", "1000"), Queue("shared", None), Queue("c", "1000")):
        queues.save_queue(db, queue)
    assert [q.name for q in queues.list_queues(db)] == ["a", "b", "c", "shared"]
    assert [q.name for q in queues.list_queues(db, "1000")] == ["a", "c"]
    assert [q.name for q in queues.list_queues(db, None)] == ["shared"]
    assert queues.list_queues(db, "9999") == []


def test_a_name_with_no_row_takes_the_defaults(db):
    agents.add_agent(db, "101", "Alice", "s" * 12, "permanence")
    agents.add_member(db, "operators", "101")  # named by a membership only: still a queue
    assert queues.queue_or_default(db, "operators") == Queue("operators", None)
    assert (Queue("x", None).strategy, Queue("x", None).wrapup_s) == ("rrmemory", 5)


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "Accueil"}, "name"), ({"name": ""}, "name"), ({"name": "-x"}, "name"), ({"name": "a" * 65}, "name"),
    ({"name": "general"}, "name"), ({"name": "permanence-queue"}, "name"),
    ({"announce_frequency_s": 0}, "announce_frequency_s"),
    ({"client_code": "12"}, "client_code"), ({"client_code": "9999"}, "client_code"),
    ({"label": "x" * 129}, "label"), ({"label": "a\nb"}, "label"), ({"label": None}, "label"),
    ({"strategy": "random"}, "strategy"), ({"ring_timeout_s": 0}, "ring_timeout_s"),
    ({"ring_timeout_s": 601}, "ring_timeout_s"), ({"ring_timeout_s": True}, "ring_timeout_s"),
    ({"retry_s": 0}, "retry_s"), ({"wrapup_s": -1}, "wrapup_s"), ({"wrapup_s": 1.5}, "wrapup_s"),
    ({"max_callers": -1}, "max_callers"), ({"max_wait_s": 86401}, "max_wait_s"),
    ({"announce_position": 1}, "announce_position"), ({"announce_holdtime": "yes"}, "announce_holdtime"),
    ({"announce_frequency_s": 3601}, "announce_frequency_s"), ({"music_class": "a b"}, "music_class"),
    ({"music_class": ""}, "music_class"), ({"service_level_s": 0}, "service_level_s"),
    ({"service_level_pct": 0}, "service_level_pct"), ({"service_level_pct": 101}, "service_level_pct"),
    ({"penalty_rules": [PenaltyRule(0, 1)]}, "penalty_rules"),
    ({"penalty_rules": (PenaltyRule(-1, 1),)}, "penalty_rules"),
    ({"penalty_rules": (PenaltyRule(0, 101),)}, "penalty_rules"),
    ({"penalty_rules": ((30, 5),)}, "penalty_rules"),
    ({"penalty_rules": (PenaltyRule(30, 1), PenaltyRule(30, 2))}, "penalty_rules"),
    ({"penalty_rules": (PenaltyRule(30, 2), PenaltyRule(60, 2))}, "penalty_rules"),
    ({"penalty_rules": tuple(PenaltyRule(i, i) for i in range(11))}, "penalty_rules"),
    ({"overflow_action": "dial"}, "overflow_action"), ({"overflow_target": ""}, "overflow_target"),
    ({"overflow_target": "1000-accueil"}, "overflow_target"), ({"overflow_target": "No"}, "overflow_target"),
    ({"overflow_action": "voicemail"}, "overflow_target"), ({"callback_offer": None}, "callback_offer"),
    ({"callback_after_s": 0}, "callback_after_s"), ({"callback_key": "12"}, "callback_key"),
    ({"callback_key": "a"}, "callback_key"),
])
def test_a_bad_field_is_named_and_nothing_is_written(db, changes, field):
    queues.save_queue(db, dataclasses.replace(FULL, name="1000-nuit", overflow_target="1000-accueil"))
    before = list(db.query("SELECT * FROM queues"))
    with pytest.raises(QueueError) as caught:
        queues.save_queue(db, dataclasses.replace(FULL, **changes))
    assert caught.value.field == field, caught.value
    assert not isinstance(caught.value, QueueNotFound | QueueConflict)
    assert list(db.query("SELECT * FROM queues")) == before


def test_errors_name_the_queue_and_the_rule(db):
    with pytest.raises(QueueError, match=r"queue q: penalty rule 2: max_penalty 3 must widen the previous rule's 5"):
        queues.save_queue(db, Queue("q", None, penalty_rules=(PenaltyRule(10, 5), PenaltyRule(20, 3))))
    with pytest.raises(QueueError, match=r"queue q: no client 3000"):
        queues.save_queue(db, Queue("q", "3000"))


@pytest.mark.parametrize(("column", "value"), [
    ("name", "Bad"), ("name", "a" * 65), ("client_code", "9999"), ("label", "x" * 129), ("strategy", "random"),
    ("ring_timeout_s", 0), ("retry_s", 0), ("wrapup_s", -1), ("max_callers", -1), ("max_wait_s", -1),
    ("announce_position", 2), ("announce_holdtime", 2), ("announce_frequency_s", -1), ("music_class", "a b"),
    ("service_level_s", 0), ("service_level_pct", 0), ("service_level_pct", 101),
    ("penalty_rules", "{}"), ("penalty_rules", "not json"), ("overflow_action", "dial"),
    ("overflow_target", "x"), ("callback_offer", 2), ("callback_after_s", 0), ("callback_key", "a"),
])
def test_the_schema_refuses_what_validation_refuses(db, column, value):
    queues.save_queue(db, Queue("q", "1000"))
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(f"UPDATE queues SET {column} = ? WHERE name = 'q'", [value])
    assert queues.get_queue(db, "q") == Queue("q", "1000")


def test_remove_a_queue_unknown_and_still_overflowed_to(db):
    queues.save_queue(db, Queue("1000-nuit", "1000"))
    queues.save_queue(db, FULL)
    with pytest.raises(QueueConflict, match="1000-accueil overflow to it") as caught:
        queues.remove_queue(db, "1000-nuit")
    assert caught.value.field == "name" and queues.get_queue(db, "1000-nuit") is not None
    queues.remove_queue(db, "1000-accueil")
    queues.remove_queue(db, "1000-nuit")
    assert queues.list_queues(db) == []
    with pytest.raises(QueueNotFound):
        queues.remove_queue(db, "1000-nuit")


def test_a_client_with_queues_cannot_vanish_under_them(db):
    queues.save_queue(db, Queue("q", "2000"))
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM clients WHERE code = '2000'")
