"""IVR menus as versioned text: apply stores a new version and activates it; rollback re-activates
the previous one. The IVR route reads the active version of a menu for every call, so a change
applies to the next call without a restart. (Parsing and validation live in ivr/.)"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import sqlite_utils

from .clients import get_client
from .clock import now_iso


class MenuStoreError(ValueError):
    """A menu operation was refused (unknown menu or client, nothing to roll back to)."""


class MenuNotFound(MenuStoreError):
    """No such menu."""


class MenuConflict(MenuStoreError):
    """The menu belongs to another client, or has no earlier version to roll back to."""


@dataclass(frozen=True)
class StoredMenu:
    name: str
    version: int
    client_code: str
    source: str
    body: str
    sha256: str


def _row(row: dict) -> StoredMenu:
    return StoredMenu(row["name"], row["version"], row["client_code"], row["source"], row["body"], row["sha256"])


def apply_menu(db: sqlite_utils.Database, name: str, client_code: str, source: str, body: str,
               schedules: Collection[str] = ()) -> StoredMenu:
    """Store `body` as the next version of `name` and activate it (unchanged text: just re-activate).
    `schedules`: the client's on-call schedules the menu names (a named one cannot be removed)."""
    if get_client(db, client_code) is None:
        raise MenuStoreError(f"menu {name}: no client {client_code}")
    owner = db.execute("SELECT client_code FROM menus WHERE name = ? LIMIT 1", [name]).fetchone()
    if owner is not None and owner[0] != client_code:
        raise MenuConflict(f"menu {name} belongs to client {owner[0]}, not {client_code}")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    active = active_menu(db, name)
    if active is not None and active.sha256 == digest:
        return active
    version = db.execute("SELECT coalesce(max(version), 0) + 1 FROM menus WHERE name = ?", [name]).fetchone()[0]
    _schedules_exist(db, name, client_code, schedules)
    db.execute(
        "INSERT INTO menus (name, version, client_code, source, body, sha256, created_at, oncall_schedules) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [name, version, client_code, source, body, digest, now_iso(), json.dumps(sorted(set(schedules)))],
    )
    _activate(db, name, version)
    db.execute("UPDATE clients SET entry_menu = ? WHERE code = ? AND entry_menu IS NULL", [name, client_code])
    return StoredMenu(name, version, client_code, source, body, digest)


def apply_menus(db: sqlite_utils.Database, checked: list[tuple[str, str, str, str]],
                schedules: Mapping[str, Collection[str]] | None = None) -> list[StoredMenu]:
    """apply_menu for each (name, client code, source, body) of menus checked together (`schedules`: the
    on-call schedules each names, by menu name); the caller holds the transaction, so that they go live
    all or none."""
    named = schedules or {}
    return [apply_menu(db, name, client_code, source, body, named.get(name, ()))
            for name, client_code, source, body in checked]


def _schedules_exist(db: sqlite_utils.Database, name: str, client_code: str, schedules: Collection[str]) -> None:
    for schedule in sorted(set(schedules)):
        if db.execute("SELECT 1 FROM oncall_schedules WHERE client_code = ? AND name = ?",
                      [client_code, schedule]).fetchone() is None:
            raise MenuConflict(f"menu {name}: client {client_code} has no on-call schedule {schedule!r}")


def rollback_menu(db: sqlite_utils.Database, name: str) -> StoredMenu:
    """Activate the version before the active one."""
    active = active_menu(db, name)
    if active is None:
        raise MenuNotFound(f"no active menu {name}")
    rows = list(db.query("SELECT * FROM menus WHERE name = ? AND version < ? ORDER BY version DESC LIMIT 1",
                         [name, active.version]))
    if not rows:
        raise MenuConflict(f"menu {name} is at its first version {active.version}: nothing to roll back to")
    # An earlier version may name an on-call schedule removed since: it would reach nobody.
    _schedules_exist(db, f"{name} v{rows[0]['version']}", rows[0]["client_code"],
                     json.loads(rows[0]["oncall_schedules"]))
    _activate(db, name, rows[0]["version"])
    return _row(rows[0])


def _activate(db: sqlite_utils.Database, name: str, version: int) -> None:
    db.execute(
        "INSERT INTO active_menus (name, version, activated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at",
        [name, version, now_iso()],
    )


def active_menu(db: sqlite_utils.Database, name: str) -> StoredMenu | None:
    rows = list(db.query(
        "SELECT m.* FROM active_menus a JOIN menus m ON m.name = a.name AND m.version = a.version WHERE a.name = ?",
        [name]))
    return _row(rows[0]) if rows else None


def active_menus(db: sqlite_utils.Database) -> dict[str, StoredMenu]:
    return {r["name"]: _row(r) for r in db.query(
        "SELECT m.* FROM active_menus a JOIN menus m ON m.name = a.name AND m.version = a.version")}


def menu_versions(db: sqlite_utils.Database, name: str) -> list[tuple[int, str, bool]]:
    """(version, created_at, active) newest first."""
    active = active_menu(db, name)
    return [(r["version"], r["created_at"], active is not None and r["version"] == active.version)
            for r in db.query("SELECT version, created_at FROM menus WHERE name = ? ORDER BY version DESC", [name])]


def set_entry_menu(db: sqlite_utils.Database, client_code: str, name: str) -> None:
    menu = active_menu(db, name)
    if menu is None or menu.client_code != client_code:
        raise MenuStoreError(f"client {client_code} has no active menu {name}")
    db.execute("UPDATE clients SET entry_menu = ? WHERE code = ?", [name, client_code])


def entry_menu(db: sqlite_utils.Database, client_code: str) -> str | None:
    row = db.execute("SELECT entry_menu FROM clients WHERE code = ?", [client_code]).fetchone()
    return row[0] if row else None
