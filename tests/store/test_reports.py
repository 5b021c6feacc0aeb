"""A client's daily report settings and marks in the store: what is refused (naming the field), what a new
time of day does to the next run, and the report's CSV (fields as columns, formulas defused)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reports.csvtext import messages_csv
from store import clients, connect, contacts, messages, migrate
from store import reports as daily
from store.clients import ClientNotFound


@pytest.fixture
def db(tmp_path: Path):
    migrate(tmp_path / "s.sqlite3")
    db = connect(tmp_path / "s.sqlite3")
    clients.add_client(db, "1000", "Plomberie Demo", timezone="America/Montreal")
    yield db
    db.close()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"at": "8:00"}, "at"), ({"at": "08:00", "roles": "manager"}, "roles"), ({"at": "08:00", "roles": [""]}, "roles"),
    ({"at": "08:00", "emails": ["not an address"]}, "emails"), ({"at": "08:00", "emails": [1]}, "emails"),
])
def test_bad_settings_name_their_field_and_keep_nothing(db, kwargs, field) -> None:
    with pytest.raises(daily.ReportSettingsError) as refused:
        daily.set_settings(db, "1000", now="2026-01-10T12:00:00.000Z", **kwargs)
    assert refused.value.field == field and daily.get_settings(db, "1000") is None
    with pytest.raises(ClientNotFound):
        daily.set_settings(db, "9999", "08:00", now="2026-01-10T12:00:00.000Z")


def test_a_new_time_of_day_counts_from_now_and_the_recipients_follow_the_directory(db) -> None:
    old = messages.create_message(db, "1000", "root", text="before the settings")
    first = daily.set_settings(db, "1000", "08:00", ["Manager"], ["boss@example.org"], now="2026-01-10T12:00:00.000Z")
    assert (first.last_due_at, first.last_message_id) == ("2026-01-10T12:00:00.000Z", old.id)
    same_time = daily.set_settings(db, "1000", "08:00", ["Manager"], [], now="2026-01-12T12:00:00.000Z")
    assert same_time.last_due_at == "2026-01-10T12:00:00.000Z"  # recipients only: the runs missed still come
    moved = daily.set_settings(db, "1000", "09:00", ["Manager"], [], now="2026-01-12T12:00:00.000Z")
    assert moved.last_due_at == "2026-01-12T12:00:00.000Z" and moved.last_message_id == old.id
    contacts.add_contact(db, "1000", "Marie", role=" manager ", email="marie@example.org")
    contacts.add_contact(db, "1000", "Luc", role="manager")  # no email: not a recipient
    contacts.add_contact(db, "1000", "Zoé", role="tech", email="zoe@example.org")
    assert daily.recipients(db, moved) == ["marie@example.org"]


def test_the_csv_has_a_column_per_field_and_defuses_formulas(db) -> None:
    daily.set_settings(db, "1000", "08:00", now="2026-01-10T12:00:00.000Z")
    messages.create_message(db, "1000", "root", text="=HYPERLINK(\"x\")", fields={"city": "Laval"},
                            at="2026-01-10T13:00:00.000Z")
    messages.create_message(db, "1000", "root", fields={"nature": "@urgence", "callback": "+15145550100",
                                                        "running": True}, at="2026-01-10T14:00:00.000Z")
    held = daily.messages_after(db, "1000", 0)
    rows = list(csv.DictReader(io.StringIO(messages_csv(held, ZoneInfo("America/Montreal")))))
    assert list(rows[0]) == ["id", "created_at", "caller_number", "linkedid", "status", "confirmed_at",
                             "confirmed_by", "created_by", "text", "fields.city", "fields.nature", "fields.callback",
                             "fields.running"]
    assert rows[0]["text"] == "'=HYPERLINK(\"x\")" and rows[0]["created_at"] == "2026-01-10T08:00:00-05:00"
    assert (rows[1]["fields.nature"], rows[1]["fields.callback"], rows[1]["fields.running"], rows[1]["fields.city"]) \
        == ("'@urgence", "+15145550100", "true", "")
