"""Each client's daily report: its settings (a local time of day, recipients), where it stands, and the
reports made, each with its CSV.

Where it stands is two marks moved together in the write that makes a report: the due time of the last
run (the next is the first after it, reports/schedule.py) and the id of the last message it held. The
next report holds every message of the client with a higher id — message ids only grow — so a message
is in exactly one report, whenever the report runs, however late, and whatever the restarts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from reports.schedule import parse_time_of_day

from .clients import ClientError, ClientNotFound
from .contacts import MAX_EMAIL, MAX_ROLE, email
from .scope import Scope

MAX_RECIPIENTS = 20
STATUSES = ("pending", "sent", "failed", "no_recipients", "no_smtp")


class ReportSettingsError(ClientError):
    """Settings were refused; `field` names what was wrong (and the message starts with it)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message if message.startswith(field) else f"{field}: {message}", field)


@dataclass(frozen=True)
class ReportSettings:
    client_code: str
    at: str  # HH:MM, the client's local time
    roles: tuple[str, ...]  # contacts with one of these roles (any case) and an email receive it
    emails: tuple[str, ...]  # and these addresses
    last_due_at: str  # UTC; the next report is the first due after it
    last_message_id: int  # every message of the client above it goes in the next report
    updated_at: str

    def as_json(self) -> dict:
        return {"client_code": self.client_code, "at": self.at, "roles": list(self.roles),
                "emails": list(self.emails), "last_due_at": self.last_due_at, "updated_at": self.updated_at}


@dataclass(frozen=True)
class DailyReport:
    id: int
    client_code: str
    due_at: str
    made_at: str
    since_due_at: str
    first_message_id: int
    last_message_id: int
    messages: int
    recipients: tuple[str, ...]
    status: str
    attempts: int
    sent_at: str | None
    detail: str

    def as_json(self) -> dict:
        return {"id": self.id, "client_code": self.client_code, "due_at": self.due_at, "made_at": self.made_at,
                "since": self.since_due_at, "messages": self.messages, "recipients": list(self.recipients),
                "status": self.status, "sent_at": self.sent_at}


_REPORT = ("id, client_code, due_at, made_at, since_due_at, first_message_id, last_message_id, messages, "
           "recipients, status, attempts, sent_at, detail")


def _settings(row: dict) -> ReportSettings:
    return ReportSettings(**{**row, "roles": tuple(json.loads(row["roles"])),
                             "emails": tuple(json.loads(row["emails"]))})


def _report(row: dict) -> DailyReport:
    return DailyReport(**{**row, "recipients": tuple(json.loads(row["recipients"]))})


def _roles(roles: object) -> list[str]:
    if not isinstance(roles, list | tuple) or len(roles) > MAX_RECIPIENTS:
        raise ReportSettingsError(f"a list of at most {MAX_RECIPIENTS} contact roles", "roles")
    out: list[str] = []
    for role in roles:
        if not isinstance(role, str) or not role.strip() or len(role) > MAX_ROLE:
            raise ReportSettingsError(f"a role is 1-{MAX_ROLE} characters, got {role!r}", "roles")
        out.append(role.strip())
    return list(dict.fromkeys(out))


def _emails(emails: object) -> list[str]:
    if not isinstance(emails, list | tuple) or len(emails) > MAX_RECIPIENTS:
        raise ReportSettingsError(f"a list of at most {MAX_RECIPIENTS} addresses", "emails")
    out = []
    for address in emails:
        if not isinstance(address, str) or len(address) > MAX_EMAIL:
            raise ReportSettingsError(f"not an email address: {address!r}", "emails")
        try:
            checked = email(address)
        except ClientError as exc:
            raise ReportSettingsError(str(exc).removeprefix("email: "), "emails") from None  # the list's name
        if checked is not None:
            out.append(checked)
    return list(dict.fromkeys(out))


def get_settings(db: sqlite_utils.Database, client_code: str) -> ReportSettings | None:
    rows = list(db.query("SELECT * FROM report_settings WHERE client_code = ?", [client_code]))
    return _settings(rows[0]) if rows else None


def list_settings(db: sqlite_utils.Database) -> list[ReportSettings]:
    return [_settings(r) for r in db.query("SELECT * FROM report_settings ORDER BY client_code")]


def set_settings(db: sqlite_utils.Database, client_code: str, at: str, roles: object = (), emails: object = (),
                 *, now: str) -> ReportSettings:
    """Create or change a client's daily report. The first report holds the messages taken from now on;
    a new time of day takes effect after now (never a run at once for a time already past today)."""
    try:
        parse_time_of_day(at)
    except ValueError as exc:
        raise ReportSettingsError(str(exc), "at") from None
    if db.execute("SELECT 1 FROM clients WHERE code = ?", [client_code]).fetchone() is None:
        raise ClientNotFound(f"no client {client_code!r}", "client_code")
    checked_roles, checked_emails = _roles(roles), _emails(emails)
    current = get_settings(db, client_code)
    if current is None:
        top = db.execute("SELECT coalesce(max(id), 0) FROM messages WHERE client_code = ?", [client_code]).fetchone()
        db.execute("INSERT INTO report_settings (client_code, at, roles, emails, last_due_at, last_message_id, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [client_code, at, json.dumps(checked_roles), json.dumps(checked_emails), now, int(top[0]), now])
    else:
        last_due = max(current.last_due_at, now) if at != current.at else current.last_due_at
        db.execute("UPDATE report_settings SET at = ?, roles = ?, emails = ?, last_due_at = ?, updated_at = ? "
                   "WHERE client_code = ?",
                   [at, json.dumps(checked_roles), json.dumps(checked_emails), last_due, now, client_code])
    settings = get_settings(db, client_code)
    assert settings is not None
    return settings


def remove_settings(db: sqlite_utils.Database, client_code: str) -> bool:
    """Stop a client's daily report (the reports made are kept)."""
    return db.execute("DELETE FROM report_settings WHERE client_code = ?", [client_code]).rowcount > 0


def recipients(db: sqlite_utils.Database, settings: ReportSettings) -> list[str]:
    """The contacts' addresses whose role is one of the settings' (any case), then the explicit ones."""
    wanted = {r.casefold() for r in settings.roles}
    found = [row[1] for row in db.execute(
        "SELECT role, email FROM contacts WHERE client_code = ? AND email IS NOT NULL ORDER BY name, id",
        [settings.client_code]).fetchall() if row[0].strip().casefold() in wanted]
    return list(dict.fromkeys([*found, *settings.emails]))


def messages_after(db: sqlite_utils.Database, client_code: str, after_id: int) -> list[dict]:
    """The client's messages above `after_id`, oldest first, with the caller's number of their call."""
    rows = db.query(
        "SELECT m.id, m.created_at, c.caller_number, m.linkedid, m.status, m.confirmed_at, m.confirmed_by, "
        "m.created_by, m.text, m.fields FROM messages m LEFT JOIN calls c ON c.linkedid = m.linkedid "
        "WHERE m.client_code = ? AND m.id > ? ORDER BY m.id", [client_code, after_id])
    return [{**r, "fields": json.loads(r["fields"])} for r in rows]


def keep_report(db: sqlite_utils.Database, settings: ReportSettings, due_at: str, made_at: str,
                held: list[dict], csv: str, to: list[str], status: str) -> DailyReport:
    """Keep a report of the messages `held` and move both marks past it, in the caller's transaction."""
    first = held[0]["id"] if held else settings.last_message_id + 1
    last = held[-1]["id"] if held else settings.last_message_id
    cursor = db.execute(
        "INSERT INTO daily_reports (client_code, due_at, made_at, since_due_at, first_message_id, last_message_id, "
        "messages, csv, recipients, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [settings.client_code, due_at, made_at, settings.last_due_at, first, last, len(held), csv, json.dumps(to),
         status])
    moved = db.execute("UPDATE report_settings SET last_due_at = ?, last_message_id = ? "
                       "WHERE client_code = ? AND last_due_at = ? AND last_message_id = ?",
                       [due_at, last, settings.client_code, settings.last_due_at, settings.last_message_id])
    if moved.rowcount != 1:
        raise RuntimeError(f"client {settings.client_code}: the daily report's marks moved meanwhile")
    report = get_report(db, Scope.everything(), int(cursor.lastrowid))
    assert report is not None
    return report


def get_report(db: sqlite_utils.Database, scope: Scope, report_id: int) -> DailyReport | None:
    where, params = scope.where()
    rows = list(db.query(f"SELECT {_REPORT} FROM daily_reports WHERE id = ? AND {where}",  # noqa: S608 - fixed
                         [report_id, *params]))
    return _report(rows[0]) if rows else None


def report_csv(db: sqlite_utils.Database, scope: Scope, report_id: int) -> tuple[DailyReport, str] | None:
    report = get_report(db, scope, report_id)
    if report is None:
        return None
    return report, db.execute("SELECT csv FROM daily_reports WHERE id = ?", [report_id]).fetchone()[0]


def list_reports(db: sqlite_utils.Database, scope: Scope, client_code: str | None = None,
                 limit: int = 100) -> list[DailyReport]:
    """Newest first."""
    where, params = scope.where()
    if client_code is not None:
        where, params = f"{where} AND client_code = ?", [*params, client_code]
    return [_report(r) for r in db.query(
        f"SELECT {_REPORT} FROM daily_reports WHERE {where} ORDER BY id DESC LIMIT ?",  # noqa: S608 - fixed
        [*params, limit])]


def unsent(db: sqlite_utils.Database) -> list[DailyReport]:
    """Reports made but not yet sent (the email failed, or the process stopped before sending)."""
    return [_report(r) for r in db.query(
        f"SELECT {_REPORT} FROM daily_reports WHERE status = 'pending' ORDER BY id")]  # noqa: S608 - fixed


def record_sending(db: sqlite_utils.Database, report_id: int, status: str, at: str, detail: str = "") -> None:
    """One attempt's outcome: sent, or still pending (to retry) or failed for good."""
    db.execute("UPDATE daily_reports SET status = ?, attempts = attempts + 1, sent_at = CASE WHEN ? = 'sent' "
               "THEN ? END, detail = ? WHERE id = ?", [status, status, at, detail[:500], report_id])
