"""Messages taken for a client, and their history: every dispatch attempt and what came of it.

A message belongs to a client and maybe to a call (linkedid); it has the fields collected and a plain
text summary. A client user reads its messages of its history window (`clients.history_days`), as its
calls. Its status goes pending → dispatching → delivered (someone confirmed) | failed (every
step failed: the dispatcher was alerted). The dispatch itself is store.dispatch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import sqlite_utils

from . import protocols
from .clock import now_iso
from .scope import Scope
from .visibility import window_start

STATUSES = ("pending", "dispatching", "delivered", "failed")
MAX_TEXT = 2000
MAX_FIELDS = 100
MAX_FIELD_NAME = 64
MAX_FIELD_VALUE = 1000
LINKEDID = re.compile(r"^[0-9]{1,20}\.[0-9]{1,10}$")  # Asterisk's uniqueid form
MAX_PAGE = 500


class MessageError(ValueError):
    """A message was refused; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Message:
    id: int
    client_code: str
    linkedid: str | None
    fields: dict
    text: str
    created_at: str
    created_by: str
    status: str
    step: int | None
    deadline: str | None
    confirmed_at: str | None
    confirmed_by: str | None
    steps: tuple[protocols.Step, ...]

    def as_json(self) -> dict:
        return {"id": self.id, "client_code": self.client_code, "linkedid": self.linkedid, "fields": self.fields,
                "text": self.text, "created_at": self.created_at, "created_by": self.created_by,
                "status": self.status, "step": self.step, "deadline": self.deadline,
                "confirmed_at": self.confirmed_at, "confirmed_by": self.confirmed_by,
                "steps": [s.as_json() for s in self.steps]}


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    message_id: int
    step: int | None
    channel: str
    recipient: str | None
    contact_id: int | None
    at: str
    result: str
    confirmed_by: str | None
    code: str | None
    deadline: str | None
    detail: str
    # An SMS attempt's delivery state as the reports said (store.sms_delivery) and when; None otherwise.
    delivery: str | None = None
    delivery_at: str | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "step": self.step, "channel": self.channel, "recipient": self.recipient,
                "contact_id": self.contact_id, "at": self.at, "result": self.result,
                "confirmed_by": self.confirmed_by, "code": self.code, "deadline": self.deadline,
                "detail": self.detail, "delivery": self.delivery, "delivery_at": self.delivery_at}


_COLUMNS = ("id, client_code, linkedid, fields, text, created_at, created_by, status, step, deadline, "
            "confirmed_at, confirmed_by, steps")
_HISTORY = ("id, message_id, step, channel, recipient, contact_id, at, result, confirmed_by, code, deadline, detail, "
            "delivery, delivery_at")


def _row(row: dict) -> Message:
    return Message(**{**row, "fields": json.loads(row["fields"]), "steps": protocols.from_json(row["steps"])})


def _fields(fields: object) -> dict:
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise MessageError("fields must be an object of name → value", "fields")
    if len(fields) > MAX_FIELDS:
        raise MessageError(f"fields: {MAX_FIELDS} at most, got {len(fields)}", "fields")
    for name, value in fields.items():
        if not name.strip() or len(name) > MAX_FIELD_NAME:
            raise MessageError(f"fields: a name must be 1-{MAX_FIELD_NAME} characters, got {name!r}", "fields")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise MessageError(f"fields.{name}: must be text, a number, true/false or null", "fields")
        if isinstance(value, str) and len(value) > MAX_FIELD_VALUE:
            raise MessageError(f"fields.{name}: {MAX_FIELD_VALUE} characters at most", "fields")
    return fields


def summary(fields: dict) -> str:
    """The plain text of a message made of its fields, one `name: value` per line."""
    return "\n".join(f"{name}: {value}" for name, value in fields.items() if value not in (None, ""))


def create_message(db: sqlite_utils.Database, client_code: str, created_by: str, *, text: str | None = None,
                   fields: object = None, linkedid: str | None = None, at: str | None = None) -> Message:
    """Take a message for a client (with the client's protocol as it is now); its dispatch starts at once."""
    if not isinstance(client_code, str) or \
            db.execute("SELECT 1 FROM clients WHERE code = ?", [client_code]).fetchone() is None:
        raise MessageError(f"no client {client_code!r}", "client_code")
    collected = _fields(fields)
    if text is not None and not isinstance(text, str):
        raise MessageError("text must be a string", "text")
    body = (text or "").strip() or summary(collected)
    if not body:
        raise MessageError("a message needs a text or at least one field with a value", "text")
    if len(body) > MAX_TEXT:
        raise MessageError(f"text: {MAX_TEXT} characters at most, got {len(body)}", "text")
    if linkedid is not None:
        if not isinstance(linkedid, str) or not LINKEDID.match(linkedid):
            raise MessageError(f"linkedid must be a call id like 1700000000.42, got {linkedid!r}", "linkedid")
        other = db.execute("SELECT client_code FROM calls WHERE linkedid = ?", [linkedid]).fetchone()
        if other is not None and other[0] is not None and other[0] != client_code:
            raise MessageError(f"call {linkedid} is not a call of client {client_code}", "linkedid")
    when = at or now_iso()
    steps = protocols.get_protocol(db, client_code)
    # Pending with its deadline now: the dispatcher's next look starts it.
    cursor = db.execute(
        "INSERT INTO messages (client_code, linkedid, fields, text, created_at, created_by, status, steps, deadline) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        [client_code, linkedid, json.dumps(collected, ensure_ascii=False), body, when, created_by,
         protocols.to_json(steps), when])
    message = get_message(db, Scope.everything(), int(cursor.lastrowid))
    assert message is not None
    return message


def _visible(db: sqlite_utils.Database, scope: Scope) -> tuple[str, list]:
    """The scope's condition on messages: its client, within the client's history window (as its calls)."""
    where, params = scope.where()
    since = window_start(db, scope)
    return (where, list(params)) if since is None else (f"{where} AND created_at >= ?", [*params, since])


def get_message(db: sqlite_utils.Database, scope: Scope, message_id: int) -> Message | None:
    """The message if this scope may see it."""
    where, params = _visible(db, scope)
    rows = list(db.query(f"SELECT {_COLUMNS} FROM messages WHERE id = ? AND {where}",  # noqa: S608 - fixed fragments
                         [message_id, *params]))
    return _row(rows[0]) if rows else None


def list_messages(db: sqlite_utils.Database, scope: Scope, *, client_code: str | None = None,
                  status: str | None = None, linkedid: str | None = None, before: int | None = None,
                  limit: int = 100) -> list[Message]:
    """Newest first, a page of `limit` below id `before`."""
    where, params = _visible(db, scope)
    clauses = [where]
    for column, value in (("client_code", client_code), ("status", status), ("linkedid", linkedid)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if before is not None:
        clauses.append("id < ?")
        params.append(before)
    sql = f"SELECT {_COLUMNS} FROM messages WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?"  # noqa: S608
    return [_row(r) for r in db.query(sql, [*params, min(max(limit, 1), MAX_PAGE)])]


def history(db: sqlite_utils.Database, message_id: int) -> list[HistoryEntry]:
    """Every attempt and outcome of a message, in order."""
    return [HistoryEntry(**r) for r in db.query(
        f"SELECT {_HISTORY} FROM message_history WHERE message_id = ? ORDER BY id", [message_id])]  # noqa: S608


def add_history(db: sqlite_utils.Database, message_id: int, channel: str, result: str, *, at: str,
                step: int | None = None, recipient: str | None = None, contact_id: int | None = None,
                confirmed_by: str | None = None, code: str | None = None, deadline: str | None = None,
                token_hash: str | None = None, detail: str = "") -> int:
    cursor = db.execute(
        "INSERT INTO message_history (message_id, step, channel, recipient, contact_id, at, result, confirmed_by, "
        "code, deadline, token_hash, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [message_id, step, channel, recipient, contact_id, at, result, confirmed_by, code, deadline, token_hash,
         detail[:500]])
    return int(cursor.lastrowid)
