"""`permanence oncall schedule…` and `--schedule`: a client's named schedules from the command line, with
the store's checks and messages; the commands without `--schedule` stay on `default`."""

from __future__ import annotations

from store import connect, queues
from store import oncall as store_oncall
from store.queues import Queue

from .test_contacts_cli import _run, _setup


def test_schedules_added_labelled_listed_used_and_removed(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    for name in ("Ana", "Ben"):
        assert _run(monkeypatch, config, "contacts", "add", "1000", name) == 0
    assert _run(monkeypatch, config, "oncall", "schedule-add", "1000", "tech", "--label", "Technique") == 0
    assert _run(monkeypatch, config, "oncall", "rotation", "1000", "daily", "08:00", "2026-03-01", "1") == 0
    assert _run(monkeypatch, config, "oncall", "rotation", "1000", "daily", "08:00", "2026-03-01", "2",
                "--schedule", "tech") == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("client 1000 schedule tech: daily")
    assert _run(monkeypatch, config, "oncall", "who", "1000", "--at", "2026-03-09T12:00") == 0
    assert capsys.readouterr().out.startswith("1\tAna\t")
    assert _run(monkeypatch, config, "oncall", "who", "1000", "--at", "2026-03-09T12:00", "--schedule", "tech") == 0
    assert capsys.readouterr().out.startswith("2\tBen\t")
    assert _run(monkeypatch, config, "oncall", "override", "1000", "1", "2026-03-09T09:00", "2026-03-09T17:00",
                "--schedule", "tech") == 0
    capsys.readouterr()
    assert _run(monkeypatch, config, "oncall", "show", "1000", "--schedule", "tech") == 0
    assert capsys.readouterr().out.splitlines() == [
        "rotation: daily from 2026-03-01 at 08:00 America/Montreal, contacts 2:Ben",
        "1\t2026-03-09 09:00 EDT\t2026-03-09 17:00 EDT\t1:Ana\tswap\t"]
    assert _run(monkeypatch, config, "oncall", "show", "1000") == 0
    assert capsys.readouterr().out.splitlines() == [
        "rotation: daily from 2026-03-01 at 08:00 America/Montreal, contacts 1:Ana"]
    assert _run(monkeypatch, config, "oncall", "shifts", "1000", "--from", "2026-03-09T08:30", "--count", "2",
                "--schedule", "tech") == 0
    assert [line.split("\t")[2:] for line in capsys.readouterr().out.splitlines()] == [
        ["Ben", "shift 8"], ["Ana", "override 1"]]
    assert _run(monkeypatch, config, "oncall", "schedule-label", "1000", "tech", "Technique (nuit)") == 0

    db = connect(store)
    queues.save_queue(db, Queue("1000-q", "1000", overflow_action="oncall", overflow_schedule="tech"))
    db.close()
    capsys.readouterr()
    assert _run(monkeypatch, config, "oncall", "schedules", "1000") == 0
    assert capsys.readouterr().out.splitlines() == ["default\t\t", "tech\tTechnique (nuit)\tqueue 1000-q (overflow)"]
    assert _run(monkeypatch, config, "oncall", "schedule-remove", "1000", "tech") == 2
    assert "is still named by queue 1000-q (overflow)" in capsys.readouterr().err
    assert _run(monkeypatch, config, "queues", "edit", "1000-q", "--overflow-schedule", "default") == 0
    assert _run(monkeypatch, config, "oncall", "schedule-remove", "1000", "tech") == 0
    db = connect(store)
    try:
        assert store_oncall.get_rotation(db, "1000", schedule="tech") is None
        assert store_oncall.get_rotation(db, "1000").contacts == (1,)  # the default's own stays
    finally:
        db.close()


def test_bad_names_and_unknown_schedules_are_refused_and_change_nothing(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    assert _run(monkeypatch, config, "contacts", "add", "1000", "Ana") == 0
    assert _run(monkeypatch, config, "oncall", "schedule-add", "1000", "Tech") == 2
    assert "name: a schedule name is a-z" in capsys.readouterr().err
    assert _run(monkeypatch, config, "oncall", "rotation", "1000", "daily", "08:00", "2026-03-01", "1",
                "--schedule", "nope") == 2
    assert "schedule: client 1000 has no on-call schedule 'nope'" in capsys.readouterr().err
    assert _run(monkeypatch, config, "oncall", "who", "1000", "--schedule", "nope") == 2
    assert "no on-call schedule 'nope'" in capsys.readouterr().err
    assert _run(monkeypatch, config, "oncall", "schedule-remove", "1000", "default") == 2
    assert "cannot be removed" in capsys.readouterr().err
    assert _run(monkeypatch, config, "queues", "add", "1000-q", "--client", "1000", "--overflow-action", "oncall",
                "--overflow-schedule", "nope") == 2
    assert "overflow_schedule: client 1000 has no on-call schedule 'nope'" in capsys.readouterr().err
    db = connect(store)
    try:
        assert store_oncall.get_rotation(db, "1000") is None and queues.list_queues(db) == []
    finally:
        db.close()
