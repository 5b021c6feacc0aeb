"""`permanence reports …`: a client's daily report settings with the admin API's checks, the reports made
and their CSV."""

from __future__ import annotations

from store import connect, contacts
from store import reports as daily

from .test_contacts_cli import _run, _setup


def test_reports_set_show_list_csv_off(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    db = connect(store)
    contacts.add_contact(db, "1000", "Marie", role="Gérante", email="marie@example.org")
    db.close()
    assert _run(monkeypatch, config, "reports", "set", "1000", "07:30", "--role", "gérante", "--email",
                "boss@example.org") == 0
    assert "daily report at 07:30" in capsys.readouterr().out
    assert _run(monkeypatch, config, "reports", "show", "1000") == 0
    out = capsys.readouterr().out
    assert "at\t07:30" in out and "recipients now\tmarie@example.org, boss@example.org" in out
    # Refusals name what was wrong and change nothing.
    assert _run(monkeypatch, config, "reports", "set", "1000", "7h30") == 2
    assert "at: a time of day is HH:MM" in capsys.readouterr().err
    assert _run(monkeypatch, config, "reports", "set", "1000", "08:00", "--email", "nope") == 2
    assert "emails:" in capsys.readouterr().err
    assert _run(monkeypatch, config, "reports", "show", "9999") == 2
    assert "no client 9999" in capsys.readouterr().err
    db = connect(store)
    settings = daily.get_settings(db, "1000")
    assert settings is not None and settings.at == "07:30"
    report = daily.keep_report(db, settings, "2026-01-11T12:30:00.000Z", "2026-01-11T12:30:01.000Z", [],
                               "id,text\r\n", ["marie@example.org"], "sent")
    db.close()
    assert _run(monkeypatch, config, "reports", "list", "1000") == 0
    assert capsys.readouterr().out == f"{report.id}\t2026-01-11T12:30:00.000Z\t0\tsent\tmarie@example.org\n"
    assert _run(monkeypatch, config, "reports", "csv", "1000", str(report.id)) == 0
    assert capsys.readouterr().out == "id,text\r\n"
    assert _run(monkeypatch, config, "reports", "csv", "2000", str(report.id)) == 2  # another client's: none
    capsys.readouterr()
    assert _run(monkeypatch, config, "reports", "off", "1000") == 0
    capsys.readouterr()
    assert _run(monkeypatch, config, "reports", "show", "1000") == 0
    assert capsys.readouterr().out == "client 1000 has no daily report\n"
