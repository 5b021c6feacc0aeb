"""`permanence contacts …` and `permanence oncall …`: the same store functions and checks as the admin API."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from permanence.cli import main
from store import clients, connect, contacts, infopages, migrate
from store import oncall as store_oncall


def _setup(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite3"
    monkeypatch.setenv("PERMANENCE_MODE", "demo")
    monkeypatch.setenv("PERMANENCE_STORE_PATH", str(store))
    config = tmp_path / "p.toml"
    config.write_text("")
    migrate(store)
    db = connect(store)
    clients.add_client(db, "1000", "A", timezone="America/Montreal")
    db.close()
    return str(config), store


def _run(monkeypatch, config: str, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["-c", config, *args])


def test_contacts_add_list_set_remove(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    assert _run(monkeypatch, config, "contacts", "add", "1000", "Marie", "--mobile", "514-555-0199", "--sms",
                "--email", "marie@example.com", "--role", "owner") == 0
    assert _run(monkeypatch, config, "contacts", "add", "1000", "Jean", "--language", "en") == 0
    capsys.readouterr()
    assert _run(monkeypatch, config, "contacts", "list", "1000") == 0
    assert capsys.readouterr().out.splitlines() == [
        "2\tJean\t\t\t\t\t\ten", "1\tMarie\towner\t+15145550199\t\tmarie@example.com\tsms\tfr"]
    assert _run(monkeypatch, config, "contacts", "set", "1000", "2", "--office", "4385550142", "--no-sms") == 0
    assert capsys.readouterr().out == "2\tJean\t\t\t+14385550142\t\t\ten\n"
    # Refusals are the store's, naming the field; nothing is kept.
    assert _run(monkeypatch, config, "contacts", "add", "1000", "X", "--mobile", "555") == 2
    assert "not a valid phone number" in capsys.readouterr().err
    assert _run(monkeypatch, config, "contacts", "add", "1000", "X", "--sms") == 2
    assert "needs a mobile number" in capsys.readouterr().err
    db = connect(store)
    assert [c.name for c in contacts.list_contacts(db, "1000")] == ["Jean", "Marie"]
    db.close()
    assert _run(monkeypatch, config, "contacts", "remove", "1000", "2") == 0
    assert _run(monkeypatch, config, "contacts", "remove", "1000", "2") == 2
    assert "has no contact 2" in capsys.readouterr().err


def test_infopages_set_from_a_file_and_printed(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    doc = {"sections": [{"kind": "hours", "title": {"fr": "Heures"}, "body": {"fr": "8h-17h"}}]}
    (tmp_path / "pages.json").write_text(json.dumps(doc))
    assert _run(monkeypatch, config, "contacts", "infopages", "1000", "--set", str(tmp_path / "pages.json")) == 0
    capsys.readouterr()
    assert _run(monkeypatch, config, "contacts", "infopages", "1000") == 0
    assert json.loads(capsys.readouterr().out)["sections"] == [
        {"kind": "hours", "title": {"fr": "Heures", "en": ""}, "body": {"fr": "8h-17h", "en": ""}}]
    assert _run(monkeypatch, config, "contacts", "infopages", "1000", "--set", "-",
                stdin='[{"kind": "menu"}]') == 2
    assert "sections[0].kind" in capsys.readouterr().err
    db = connect(store)
    assert len(infopages.list_infopages(db, "1000")) == 1
    db.close()


def test_oncall_rotation_override_who_and_shifts(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    for name in ("Ana", "Ben", "Chloe"):
        assert _run(monkeypatch, config, "contacts", "add", "1000", name) == 0
    assert _run(monkeypatch, config, "oncall", "who", "1000", "--at", "2026-03-09T12:00") == 1  # nobody yet
    assert _run(monkeypatch, config, "oncall", "rotation", "1000", "daily", "02:30", "2026-03-06", "1", "2") == 0
    assert _run(monkeypatch, config, "oncall", "override", "1000", "3", "2026-03-09T09:00", "2026-03-09T17:00",
                "--reason", "holiday") == 0
    capsys.readouterr()
    assert _run(monkeypatch, config, "oncall", "who", "1000", "--at", "2026-03-09T12:00") == 0
    assert capsys.readouterr().out.startswith("3\tChloe\t")
    assert _run(monkeypatch, config, "oncall", "shifts", "1000", "--from", "2026-03-07T12:00", "--count", "4") == 0
    assert capsys.readouterr().out.splitlines() == [
        "2026-03-07 02:30 EST\t2026-03-08 03:30 EDT\tBen\tshift 1",
        "2026-03-08 03:30 EDT\t2026-03-09 02:30 EDT\tAna\tshift 2",
        "2026-03-09 02:30 EDT\t2026-03-09 09:00 EDT\tBen\tshift 3",
        "2026-03-09 09:00 EDT\t2026-03-09 17:00 EDT\tChloe\toverride 1"]
    db = connect(store)
    at = datetime(2026, 3, 9, 17, tzinfo=ZoneInfo("America/Montreal"))
    assert store_oncall.who_is_on_call(db, "1000", at).name == "Ben"
    db.close()
    assert _run(monkeypatch, config, "oncall", "rotation", "1000", "daily", "8h", "2026-03-06", "1") == 2
    assert "handover" in capsys.readouterr().err
    assert _run(monkeypatch, config, "oncall", "override", "1000", "1", "soon", "later") == 2
    assert "from: not a date" in capsys.readouterr().err
    capsys.readouterr()
    assert _run(monkeypatch, config, "oncall", "show", "1000") == 0
    assert capsys.readouterr().out.splitlines() == [
        "rotation: daily from 2026-03-06 at 02:30 America/Montreal, contacts 1:Ana 2:Ben",
        "1\t2026-03-09 09:00 EDT\t2026-03-09 17:00 EDT\t3:Chloe\tholiday\t"]
    assert _run(monkeypatch, config, "oncall", "unoverride", "1000", "1") == 0
