"""Clients, their settings (history window, service level, business hours) and their DIDs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from .clock import now_iso
from .numbers import NumberError, is_valid_did, to_e164

CLIENT_CODE = re.compile(r"^[0-9]{4,5}$")
LANGUAGES = ("fr", "en")
MAX_NAME = 128
MAX_LABEL = 128
HISTORY_DAYS = (1, 3650)  # a client sees at least a day of its calls, at most ten years
SERVICE_LEVEL_S = (1, 3600)


class ClientError(ValueError):
    """A client or DID definition was refused; the message says why, `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ClientNotFound(ClientError):
    """No such client or DID."""


class ClientConflict(ClientError):
    """The client code or the DID is taken already."""


@dataclass(frozen=True)
class Schedule:
    """A client's business hours as an admin gave them, in the time node's syntax (ivr/FORMAT.md).

    ivr.schedule validates it and makes the TimeRule a menu's `hours: client` runs on; the store only
    keeps it. hours is None until it is set (a menu cannot use it before)."""

    hours: tuple[tuple[str, str], ...] | None = None  # (days, ranges) in the order given
    holidays: tuple[str, ...] = ()  # YYYY-MM-DD
    closures: tuple[tuple[str, str], ...] = ()  # (from, to) as YYYY-MM-DDTHH:MM, local time


@dataclass(frozen=True)
class Client:
    code: str
    name: str
    language: str
    timezone: str
    entry_menu: str | None = None
    history_days: int = 60
    service_level_s: int = 20
    schedule: Schedule = field(default_factory=Schedule)


@dataclass(frozen=True)
class Did:
    did: str
    client_code: str
    label: str


def _schedule(row: dict) -> Schedule:
    hours = json.loads(row["hours"]) if row.get("hours") else None
    return Schedule(
        hours=tuple(hours.items()) if hours is not None else None,
        holidays=tuple(json.loads(row.get("holidays") or "[]")),
        closures=tuple((c["from"], c["to"]) for c in json.loads(row.get("closures") or "[]")),
    )


def _row_to_client(row: dict) -> Client:
    return Client(row["code"], row["name"], row["language"], row["timezone"], row.get("entry_menu"),
                  row.get("history_days", 60), row.get("service_level_s", 20), _schedule(row))


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ClientError("client name is empty", "name")
    if len(name.strip()) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise ClientError(f"client name: at most {MAX_NAME} characters, no control characters", "name")
    return name.strip()


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ClientError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}", "language")
    return language


def _timezone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ClientError(f"unknown time zone {timezone!r}", "timezone") from None
    return timezone


def _bounded(value: int, bounds: tuple[int, int], name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not bounds[0] <= value <= bounds[1]:
        raise ClientError(f"{name} must be a whole number from {bounds[0]} to {bounds[1]}, got {value!r}", name)
    return value


def add_client(db: sqlite_utils.Database, code: str, name: str, language: str = "fr",
               timezone: str = "America/Toronto") -> Client:
    if not isinstance(code, str) or not CLIENT_CODE.match(code):
        raise ClientError(f"client code must be 4 or 5 digits, got {code!r}", "code")
    name, language, timezone = _name(name), _language(language), _timezone(timezone)
    if get_client(db, code) is not None:
        raise ClientConflict(f"client {code} exists already", "code")
    db.execute(
        "INSERT INTO clients (code, name, language, timezone, created_at) VALUES (?, ?, ?, ?, ?)",
        [code, name, language, timezone, now_iso()],
    )
    return Client(code, name, language, timezone)


def update_client(db: sqlite_utils.Database, code: str, *, name: str | None = None, language: str | None = None,
                  timezone: str | None = None, history_days: int | None = None,
                  service_level_s: int | None = None, schedule: Schedule | None = None) -> Client:
    """Change the settings given (None: unchanged). The schedule is replaced whole; ivr.schedule must
    have validated it."""
    if get_client(db, code) is None:
        raise ClientNotFound(f"no client {code}", "code")
    changes: dict[str, object] = {}
    if name is not None:
        changes["name"] = _name(name)
    if language is not None:
        changes["language"] = _language(language)
    if timezone is not None:
        changes["timezone"] = _timezone(timezone)
    if history_days is not None:
        changes["history_days"] = _bounded(history_days, HISTORY_DAYS, "history_days")
    if service_level_s is not None:
        changes["service_level_s"] = _bounded(service_level_s, SERVICE_LEVEL_S, "service_level_s")
    if schedule is not None:
        changes["hours"] = json.dumps(dict(schedule.hours)) if schedule.hours is not None else None
        changes["holidays"] = json.dumps(list(schedule.holidays))
        changes["closures"] = json.dumps([{"from": a, "to": b} for a, b in schedule.closures])
    if changes:
        assignments = ", ".join(f"{column} = ?" for column in changes)  # column names from this function only
        db.execute(f"UPDATE clients SET {assignments} WHERE code = ?", [*changes.values(), code])  # noqa: S608
    client = get_client(db, code)
    assert client is not None
    return client


def get_client(db: sqlite_utils.Database, code: str) -> Client | None:
    rows = list(db.query("SELECT * FROM clients WHERE code = ?", [code]))
    return _row_to_client(rows[0]) if rows else None


def list_clients(db: sqlite_utils.Database) -> list[Client]:
    return [_row_to_client(r) for r in db.query("SELECT * FROM clients ORDER BY code")]


def count_clients(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM clients").fetchone()[0]


def normalise_did(number: str, default_region: str = "CA") -> str:
    """The E.164 form of a number an admin may register: valid, not merely possible."""
    try:
        did = to_e164(number, default_region)
    except NumberError as exc:
        raise ClientError(f"DID: {exc}", "number") from None
    if not is_valid_did(did, default_region):
        raise ClientError(f"DID: {number!r} is not a valid phone number", "number")
    return did


def _label(label: str) -> str:
    if not isinstance(label, str) or len(label) > MAX_LABEL or any(ord(c) < 32 for c in label):
        raise ClientError(f"label: text of at most {MAX_LABEL} characters, no control characters", "label")
    return label


def add_did(db: sqlite_utils.Database, number: str, client_code: str, label: str = "",
            default_region: str = "CA") -> str:
    did = normalise_did(number, default_region)
    label = _label(label)
    if get_client(db, client_code) is None:
        raise ClientError(f"DID {did}: no client {client_code}", "client")
    owner = db.execute("SELECT client_code FROM dids WHERE did = ?", [did]).fetchone()
    if owner is not None:
        raise ClientConflict(f"DID {did} belongs to client {owner[0]} already", "number")
    db.execute("INSERT INTO dids (did, client_code, label) VALUES (?, ?, ?)", [did, client_code, label])
    return did


def get_did(db: sqlite_utils.Database, did: str) -> Did | None:
    rows = list(db.query("SELECT did, client_code, label FROM dids WHERE did = ?", [did]))
    return Did(**rows[0]) if rows else None


def list_dids(db: sqlite_utils.Database, client_code: str | None = None) -> list[Did]:
    if client_code is None:
        rows = db.query("SELECT did, client_code, label FROM dids ORDER BY did")
    else:
        rows = db.query("SELECT did, client_code, label FROM dids WHERE client_code = ? ORDER BY did", [client_code])
    return [Did(**r) for r in rows]


def update_did(db: sqlite_utils.Database, did: str, *, client_code: str | None = None,
               label: str | None = None) -> Did:
    """Give the DID to another client (the next call goes there) or a new label."""
    if get_did(db, did) is None:
        raise ClientNotFound(f"no DID {did}", "did")
    if client_code is not None:
        if get_client(db, client_code) is None:
            raise ClientError(f"DID {did}: no client {client_code}", "client")
        db.execute("UPDATE dids SET client_code = ? WHERE did = ?", [client_code, did])
    if label is not None:
        db.execute("UPDATE dids SET label = ? WHERE did = ?", [_label(label), did])
    found = get_did(db, did)
    assert found is not None
    return found


def remove_did(db: sqlite_utils.Database, did: str) -> None:
    """The number stops reaching the client: its next call is an unknown DID. Calls keep their DID."""
    if db.execute("DELETE FROM dids WHERE did = ?", [did]).rowcount != 1:
        raise ClientNotFound(f"no DID {did}", "did")


def client_for_did(db: sqlite_utils.Database, did: str) -> Client | None:
    """The client a normalised (E.164) DID belongs to."""
    rows = list(db.query(
        "SELECT c.* FROM dids d JOIN clients c ON c.code = d.client_code WHERE d.did = ?", [did]))
    return _row_to_client(rows[0]) if rows else None
