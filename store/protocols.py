"""A client's dispatch protocol: the ordered steps a message goes through until someone confirms it.

A step is {"channel": "sms" | "phone" | "email", "to": "on_call" | <contact id>, "wait_s": seconds} (an
SMS step may set "code_length", 1-4; an on_call step may name the client's on-call "schedule", `default`
when it names none), and the last may be {"channel": "alert"}: the dispatcher is
alerted on the live view. When every step has failed the dispatcher is alerted anyway, so a protocol
without that last step still ends there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from .clock import now_iso
from .oncall_schedules import DEFAULT as DEFAULT_SCHEDULE
from .oncall_schedules import NAME as SCHEDULE_NAME

CHANNELS = ("sms", "phone", "email")
ON_CALL = "on_call"
WAIT_S = (1, 7 * 24 * 3600)  # a step waits at least a second, at most a week
CODE_LENGTH = (1, 4)
MAX_STEPS = 20


class ProtocolError(ValueError):
    """A protocol was refused; the message names the step and the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Step:
    channel: str  # sms | phone | email | alert
    to: str | int | None = None  # "on_call" or a contact id; None for the alert
    wait_s: int = 0  # how long a confirmation is waited for before the next step
    code_length: int = 4  # SMS only: the confirmation code's characters
    schedule: str = DEFAULT_SCHEDULE  # on_call only: whose on-call contact (store/oncall_schedules.py)

    def as_json(self) -> dict:
        out: dict = {"channel": self.channel}
        if self.channel != "alert":
            out.update(to=self.to, wait_s=self.wait_s)
        if self.channel == "sms":
            out["code_length"] = self.code_length
        if self.schedule != DEFAULT_SCHEDULE:  # a protocol naming none reads as it always did
            out["schedule"] = self.schedule
        return out


# What a client without a protocol of its own gets: the on-call contact by SMS, then by phone, then by
# email, then the dispatcher.
DEFAULT_STEPS: tuple[Step, ...] = (
    Step("sms", ON_CALL, 300), Step("phone", ON_CALL, 180), Step("email", ON_CALL, 900), Step("alert"))


def _int(value: object, bounds: tuple[int, int], where: str, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not bounds[0] <= value <= bounds[1]:
        raise ProtocolError(f"{where}: {field} must be a whole number from {bounds[0]} to {bounds[1]}, "
                            f"got {value!r}", field)
    return value


def parse_step(raw: object, index: int, last: bool) -> Step:
    where = f"step {index + 1}"
    if not isinstance(raw, dict):
        raise ProtocolError(f"{where}: must be an object", "steps")
    channel = raw.get("channel")
    if channel == "alert":
        if not last:
            raise ProtocolError(f"{where}: the alert ends the protocol; it must be the last step", "channel")
        if set(raw) - {"channel"}:
            raise ProtocolError(f"{where}: the alert takes no other field", "channel")
        return Step("alert")
    if channel not in CHANNELS:
        raise ProtocolError(f"{where}: channel must be one of sms, phone, email, alert, got {channel!r}", "channel")
    unknown = set(raw) - {"channel", "to", "wait_s", "code_length", "schedule"}
    if unknown:
        raise ProtocolError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}", sorted(unknown)[0])
    to = raw.get("to")
    if to != ON_CALL and (not isinstance(to, int) or isinstance(to, bool) or to < 1):
        raise ProtocolError(f"{where}: to must be \"on_call\" or a contact id, got {to!r}", "to")
    wait_s = _int(raw.get("wait_s"), WAIT_S, where, "wait_s")
    if channel != "sms" and "code_length" in raw:
        raise ProtocolError(f"{where}: code_length is for SMS steps only", "code_length")
    code_length = _int(raw.get("code_length", 4), CODE_LENGTH, where, "code_length")
    schedule = raw.get("schedule", DEFAULT_SCHEDULE)
    if to != ON_CALL and "schedule" in raw:
        raise ProtocolError(f"{where}: schedule is for to \"on_call\" steps only", "schedule")
    if not isinstance(schedule, str) or not SCHEDULE_NAME.match(schedule):
        raise ProtocolError(f"{where}: schedule must name an on-call schedule (a-z, 0-9 and -), got {schedule!r}",
                            "schedule")
    return Step(channel, to, wait_s, code_length, schedule)


def parse_steps(raw: object) -> tuple[Step, ...]:
    """The steps of a protocol as given (a JSON list); the alert is added at the end if missing."""
    if not isinstance(raw, list) or not raw:
        raise ProtocolError("steps must be a non-empty list", "steps")
    if len(raw) > MAX_STEPS:
        raise ProtocolError(f"a protocol has {MAX_STEPS} steps at most, got {len(raw)}", "steps")
    steps = tuple(parse_step(item, i, i == len(raw) - 1) for i, item in enumerate(raw))
    return steps if steps[-1].channel == "alert" else (*steps, Step("alert"))


def to_json(steps: tuple[Step, ...]) -> str:
    return json.dumps([s.as_json() for s in steps])


def from_json(text: str) -> tuple[Step, ...]:
    return tuple(Step(**{k: v for k, v in item.items()}) for item in json.loads(text))


def get_protocol(db: sqlite_utils.Database, client_code: str) -> tuple[Step, ...]:
    """The client's steps, or the default ones."""
    row = db.execute("SELECT steps FROM dispatch_protocols WHERE client_code = ?", [client_code]).fetchone()
    return from_json(row[0]) if row else DEFAULT_STEPS


def has_protocol(db: sqlite_utils.Database, client_code: str) -> bool:
    return db.execute("SELECT 1 FROM dispatch_protocols WHERE client_code = ?", [client_code]).fetchone() is not None


def set_protocol(db: sqlite_utils.Database, client_code: str, raw: object) -> tuple[Step, ...]:
    """Validate and keep a client's protocol (messages already taken keep the one they started with)."""
    if db.execute("SELECT 1 FROM clients WHERE code = ?", [client_code]).fetchone() is None:
        raise ProtocolError(f"no client {client_code!r}", "client_code")
    steps = parse_steps(raw)
    for i, step in enumerate(steps):
        if isinstance(step.to, int) and db.execute("SELECT 1 FROM contacts WHERE id = ? AND client_code = ?",
                                                   [step.to, client_code]).fetchone() is None:
            raise ProtocolError(f"step {i + 1}: to: client {client_code} has no contact {step.to}", "to")
        if step.to == ON_CALL and db.execute("SELECT 1 FROM oncall_schedules WHERE client_code = ? AND name = ?",
                                             [client_code, step.schedule]).fetchone() is None:
            raise ProtocolError(f"step {i + 1}: schedule: client {client_code} has no on-call schedule "
                                f"{step.schedule!r}", "schedule")
    db.execute("INSERT INTO dispatch_protocols (client_code, steps, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (client_code) DO UPDATE SET steps = excluded.steps, updated_at = excluded.updated_at",
               [client_code, to_json(steps), now_iso()])
    return steps
