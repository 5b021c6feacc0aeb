"""Clients and their DIDs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from .clock import now_iso
from .numbers import NumberError, to_e164

CLIENT_CODE = re.compile(r"^[0-9]{4,5}$")
LANGUAGES = ("fr", "en")


class ClientError(ValueError):
    """A client or DID definition was refused; the message says which field."""


@dataclass(frozen=True)
class Client:
    code: str
    name: str
    language: str
    timezone: str
    entry_menu: str | None = None


def _row_to_client(row: dict) -> Client:
    return Client(row["code"], row["name"], row["language"], row["timezone"], row.get("entry_menu"))


def add_client(db: sqlite_utils.Database, code: str, name: str, language: str = "fr",
               timezone: str = "America/Toronto") -> Client:
    if not CLIENT_CODE.match(code or ""):
        raise ClientError(f"client code must be 4 or 5 digits, got {code!r}")
    if not name or not name.strip():
        raise ClientError("client name is empty")
    if language not in LANGUAGES:
        raise ClientError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ClientError(f"unknown time zone {timezone!r}") from None
    if get_client(db, code) is not None:
        raise ClientError(f"client {code} exists already")
    db.execute(
        "INSERT INTO clients (code, name, language, timezone, created_at) VALUES (?, ?, ?, ?, ?)",
        [code, name.strip(), language, timezone, now_iso()],
    )
    return Client(code, name.strip(), language, timezone)


def get_client(db: sqlite_utils.Database, code: str) -> Client | None:
    rows = list(db.query("SELECT * FROM clients WHERE code = ?", [code]))
    return _row_to_client(rows[0]) if rows else None


def count_clients(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM clients").fetchone()[0]


def add_did(db: sqlite_utils.Database, number: str, client_code: str, label: str = "",
            default_region: str = "CA") -> str:
    try:
        did = to_e164(number, default_region)
    except NumberError as exc:
        raise ClientError(f"DID: {exc}") from None
    if get_client(db, client_code) is None:
        raise ClientError(f"DID {did}: no client {client_code}")
    owner = db.execute("SELECT client_code FROM dids WHERE did = ?", [did]).fetchone()
    if owner is not None:
        raise ClientError(f"DID {did} belongs to client {owner[0]} already")
    db.execute("INSERT INTO dids (did, client_code, label) VALUES (?, ?, ?)", [did, client_code, label])
    return did


def client_for_did(db: sqlite_utils.Database, did: str) -> Client | None:
    """The client a normalised (E.164) DID belongs to."""
    rows = list(db.query(
        "SELECT c.* FROM dids d JOIN clients c ON c.code = d.client_code WHERE d.did = ?", [did]))
    return _row_to_client(rows[0]) if rows else None
