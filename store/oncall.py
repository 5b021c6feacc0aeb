"""A client's on-call schedule as kept: its rotation (period, handover, first day, members in order),
its overrides, the secret of its calendar feed — and the answer to "who is on call at T". A client has
several named schedules (store/oncall_schedules.py); every function here takes one, `default` when
none is named.

The rules (shifts, DST, which override wins) are the oncall package's; this module reads and writes
them. Times are kept as the store's UTC ISO text; the handover and the first day are local to the
client's time zone, read from the client when the schedule is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlite_utils

from oncall import (
    PERIODS,
    Override,
    Rotation,
    Segment,
    contact_of_shift,
    on_call_at,
    segments_from,
    shift_at,
    timeline,
    whole_segments,
)
from oncall.rotation import EARLIEST, LATEST, in_range

from .clients import ClientError, ClientNotFound, get_client
from .clock import iso, now_iso, parse_iso
from .contacts import Contact, get_contact
from .oncall_schedules import DEFAULT, ScheduleNotFound
from .oncall_schedules import require as require_schedule

HANDOVER = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_MEMBERS = 100
MAX_OVERRIDE = timedelta(days=366)
REASONS = ("swap", "holiday", "other")
MAX_NOTE = 256


class OncallError(ClientError):
    """An on-call rotation or override was refused; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        # The message names the field itself: the command line prints it as it is.
        super().__init__(message if field is None or message.startswith(field) else f"{field}: {message}", field)


class OncallNotFound(OncallError, ClientNotFound):
    """No rotation, or no such override for this client."""


def _schedule(db: sqlite_utils.Database, client_code: str, schedule: str) -> None:
    try:
        require_schedule(db, client_code, schedule)
    except ScheduleNotFound as exc:
        raise OncallNotFound(str(exc), exc.field) from None


@dataclass(frozen=True)
class OverrideRecord:
    id: int
    contact_id: int
    start: datetime
    end: datetime
    reason: str
    note: str


@dataclass(frozen=True)
class OncallSchedule:
    """What the oncall package needs for one client."""

    client_code: str
    timezone: str
    rotation: Rotation | None
    overrides: tuple[OverrideRecord, ...]
    name: str = DEFAULT  # the schedule's

    def rules(self) -> list[Override]:
        return [Override(o.id, o.contact_id, o.start, o.end) for o in self.overrides]

    def timeline(self, start: datetime, end: datetime) -> list[Segment]:
        return timeline(self.rotation, self.rules(), start, end)

    def whole(self, start: datetime, end: datetime) -> list[Segment]:
        return whole_segments(self.rotation, self.rules(), start, end)

    def at(self, moment: datetime) -> tuple[Segment, bool, bool]:
        return on_call_at(self.rotation, self.rules(), moment)

    def next_segments(self, start: datetime, count: int) -> list[Segment]:
        return segments_from(self.rotation, self.rules(), start, count)


def _client(db: sqlite_utils.Database, client_code: str):
    client = get_client(db, client_code)
    if client is None:
        raise ClientNotFound(f"no client {client_code}", "client")
    return client


def _member(db: sqlite_utils.Database, client_code: str, contact_id: object, where: str) -> int:
    if not isinstance(contact_id, int) or isinstance(contact_id, bool):
        raise OncallError(f"a contact id is a whole number, got {contact_id!r}", where)
    if get_contact(db, client_code, contact_id) is None:
        raise OncallError(f"client {client_code} has no contact {contact_id}", where)
    return contact_id


def set_rotation(db: sqlite_utils.Database, client_code: str, period: str, handover: str, starts_on: str,
                 contacts: list[int], schedule: str = DEFAULT) -> Rotation:
    """Replace the schedule's rotation (shift 0 on `starts_on` at `handover`, local)."""
    client = _client(db, client_code)
    _schedule(db, client_code, schedule)
    if period not in PERIODS:
        raise OncallError(f"must be one of {', '.join(PERIODS)}, got {period!r}", "period")
    if not isinstance(handover, str) or not HANDOVER.match(handover):
        raise OncallError(f"a local time HH:MM (00:00 to 23:59), got {handover!r}", "handover")
    try:
        first = date.fromisoformat(starts_on) if isinstance(starts_on, str) and len(starts_on) == 10 else None
    except ValueError:
        first = None
    if first is None:
        raise OncallError(f"a date YYYY-MM-DD, got {starts_on!r}", "starts_on")
    if not EARLIEST.date() <= first < LATEST.date():
        raise OncallError(f"from {EARLIEST.year} to {LATEST.year - 1}, got {starts_on!r}", "starts_on")
    if not isinstance(contacts, list) or not 1 <= len(contacts) <= MAX_MEMBERS:
        raise OncallError(f"a list of 1 to {MAX_MEMBERS} contact ids, in rotation order", "contacts")
    members = [_member(db, client_code, c, f"contacts[{i}]") for i, c in enumerate(contacts)]
    db.execute("DELETE FROM oncall_rotations WHERE client_code = ? AND schedule = ?",
               [client_code, schedule])  # members cascade
    db.execute("INSERT INTO oncall_rotations (client_code, schedule, period, handover, starts_on, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?)", [client_code, schedule, period, handover, first.isoformat(), now_iso()])
    for position, contact_id in enumerate(members):
        db.execute("INSERT INTO oncall_members (client_code, schedule, position, contact_id) VALUES (?, ?, ?, ?)",
                   [client_code, schedule, position, contact_id])
    return Rotation(period, time.fromisoformat(handover), first, tuple(members), client.timezone)


def clear_rotation(db: sqlite_utils.Database, client_code: str, schedule: str = DEFAULT) -> None:
    _client(db, client_code)
    _schedule(db, client_code, schedule)
    if db.execute("DELETE FROM oncall_rotations WHERE client_code = ? AND schedule = ?",
                  [client_code, schedule]).rowcount == 0:
        where = "" if schedule == DEFAULT else f" in schedule {schedule}"
        raise OncallNotFound(f"client {client_code} has no on-call rotation{where}", "rotation")


def get_rotation(db: sqlite_utils.Database, client_code: str, timezone: str | None = None,
                 schedule: str = DEFAULT) -> Rotation | None:
    row = db.execute("SELECT period, handover, starts_on FROM oncall_rotations WHERE client_code = ? "
                     "AND schedule = ?", [client_code, schedule]).fetchone()
    if row is None:
        return None
    if timezone is None:
        timezone = _client(db, client_code).timezone
    members = tuple(r[0] for r in db.execute(
        "SELECT contact_id FROM oncall_members WHERE client_code = ? AND schedule = ? ORDER BY position",
        [client_code, schedule]))
    return Rotation(row[0], time.fromisoformat(row[1]), date.fromisoformat(row[2]), members, timezone)


def add_override(db: sqlite_utils.Database, client_code: str, contact_id: int, start: datetime, end: datetime,
                 reason: str = "swap", note: str = "", schedule: str = DEFAULT) -> OverrideRecord:
    """`contact_id` on call over [start, end) whatever the schedule's rotation says; a later override
    wins over an earlier one where they overlap."""
    _client(db, client_code)
    _schedule(db, client_code, schedule)
    _member(db, client_code, contact_id, "contact")
    if start.tzinfo is None or end.tzinfo is None:
        raise OncallError("times need their offset (or the client's time zone)", "from")
    for moment, name in ((start, "from"), (end, "to")):
        if not in_range(moment):
            raise OncallError(f"from {EARLIEST.year} to {LATEST.year - 1}", name)
    start, end = parse_iso(iso(start)), parse_iso(iso(end))  # as kept: milliseconds, UTC
    if end <= start:
        raise OncallError("must be after from", "to")
    if end - start > MAX_OVERRIDE:
        raise OncallError(f"an override lasts at most {MAX_OVERRIDE.days} days", "to")
    if reason not in REASONS:
        raise OncallError(f"must be one of {', '.join(REASONS)}, got {reason!r}", "reason")
    if not isinstance(note, str) or len(note) > MAX_NOTE or any(ord(c) < 32 for c in note):
        raise OncallError(f"text of at most {MAX_NOTE} characters, no control characters", "note")
    cursor = db.execute(
        "INSERT INTO oncall_overrides (client_code, schedule, contact_id, starts_at, ends_at, reason, note, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [client_code, schedule, contact_id, iso(start), iso(end), reason, note, now_iso()])
    return OverrideRecord(int(cursor.lastrowid or 0), contact_id, start, end, reason, note)


def remove_override(db: sqlite_utils.Database, client_code: str, override_id: int,
                    schedule: str | None = None) -> None:
    """Remove an override of the client (ids are the client's, whatever the schedule; with `schedule`,
    only one of that schedule)."""
    if db.execute("DELETE FROM oncall_overrides WHERE id = ? AND client_code = ? AND schedule = coalesce(?, schedule)",
                  [override_id, client_code, schedule]).rowcount != 1:
        where = "" if schedule is None else f" in schedule {schedule}"
        raise OncallNotFound(f"client {client_code} has no override {override_id}{where}", "id")


def list_overrides(db: sqlite_utils.Database, client_code: str, ending_after: datetime | None = None,
                   schedule: str = DEFAULT) -> list[OverrideRecord]:
    """The schedule's overrides by start (those still running or to come after `ending_after`, if given)."""
    bound = iso(ending_after) if ending_after is not None else ""
    return [OverrideRecord(r["id"], r["contact_id"], parse_iso(r["starts_at"]), parse_iso(r["ends_at"]),
                           r["reason"], r["note"])
            for r in db.query("SELECT * FROM oncall_overrides WHERE client_code = ? AND schedule = ? AND ends_at > ? "
                              "ORDER BY starts_at, id", [client_code, schedule, bound])]


def schedule(db: sqlite_utils.Database, client_code: str, name: str = DEFAULT) -> OncallSchedule:
    """The named schedule's rotation and overrides; OncallNotFound (field `schedule`) when the client has
    no such schedule."""
    client = _client(db, client_code)
    _schedule(db, client_code, name)
    return OncallSchedule(client_code, client.timezone, get_rotation(db, client_code, client.timezone, name),
                          tuple(list_overrides(db, client_code, schedule=name)), name)


def who_is_on_call(db: sqlite_utils.Database, client_code: str, at: datetime,
                   schedule: str = DEFAULT) -> Contact | None:
    """The contact on call in the client's schedule at `at` (aware), None when nobody is (no rotation
    yet, or before its first shift, and no override; or no such schedule). The IVR's on-call target
    and the dispatcher ask this."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: who_is_on_call needs an aware time")
    moment = iso(at)
    row = db.execute("SELECT contact_id FROM oncall_overrides WHERE client_code = ? AND schedule = ? "
                     "AND starts_at <= ? AND ends_at > ? ORDER BY id DESC LIMIT 1",
                     [client_code, schedule, moment, moment]).fetchone()
    if row is not None:
        return get_contact(db, client_code, row[0])
    rotation = get_rotation(db, client_code, schedule=schedule)
    if rotation is None:
        return None
    k = shift_at(rotation, at)  # the timeline's own rule
    return None if k is None else get_contact(db, client_code, contact_of_shift(rotation, k))


def set_feed_token(db: sqlite_utils.Database, client_code: str, token_hash: str, schedule: str = DEFAULT) -> None:
    """The schedule's calendar feed answers this token (its hash) from now on; the previous one stops."""
    _client(db, client_code)
    _schedule(db, client_code, schedule)
    db.execute("INSERT INTO oncall_feeds (client_code, schedule, token_hash, created_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (client_code, schedule) DO UPDATE SET token_hash = excluded.token_hash, "
               "created_at = excluded.created_at", [client_code, schedule, token_hash, now_iso()])


def feed_for_token(db: sqlite_utils.Database, token_hash: str) -> tuple[str, str] | None:
    """The (client, schedule) whose feed this token opens."""
    row = db.execute("SELECT client_code, schedule FROM oncall_feeds WHERE token_hash = ?", [token_hash]).fetchone()
    return (row[0], row[1]) if row else None


def client_for_feed(db: sqlite_utils.Database, token_hash: str) -> str | None:
    found = feed_for_token(db, token_hash)
    return found[0] if found else None

