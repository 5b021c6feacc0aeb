"""The messages of one client as the portal lists and shows them: filtered (period, status, words of the
text or of a field, the number the call dialled) in keyset pages by id, each with its call's caller;
one message with its history, the people it went to and the script its fields answer.

Read through the scope like store.messages (a client user: its own, of its window); the caller's number
comes from the message's call, which is the same client's (store.messages.create_message checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from callscript import Script

from .contacts import Contact, contacts_by_id
from .messages import _COLUMNS, HistoryEntry, Message, _row, get_message, history
from .scope import Scope
from .scripts import get_script
from .visibility import window_start

MAX_SEARCH = 100


@dataclass(frozen=True)
class MessageFilter:
    client_code: str
    created_from: str | None = None  # ISO UTC, included
    created_to: str | None = None  # ISO UTC, excluded
    status: str | None = None
    search: str | None = None  # words of the text or of a field's value
    did: str | None = None  # E.164: the number the message's call dialled


@dataclass(frozen=True)
class Listed:
    message: Message
    caller_number: str | None
    caller_name: str | None
    did: str | None


@dataclass(frozen=True)
class Detail:
    message: Message
    history: list[HistoryEntry]
    contacts: dict[int, Contact]  # the client's directory, by id (steps and attempts name them)
    script: Script | None
    caller_number: str | None
    caller_name: str | None


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_messages(db: sqlite_utils.Database, scope: Scope, chosen: MessageFilter, *, before: int | None = None,
                    limit: int = 25) -> list[Listed]:
    """Newest first, `limit` below id `before`; the scope's window applies."""
    where, params = scope.where("m.client_code")
    clauses = [where, "m.client_code = ?"]
    params.append(chosen.client_code)
    since = window_start(db, scope)  # a client user's history window, as store.messages reads it
    if since is not None:
        clauses.append("m.created_at >= ?")
        params.append(since)
    for clause, value in (("m.created_at >= ?", chosen.created_from), ("m.created_at < ?", chosen.created_to),
                          ("m.status = ?", chosen.status), ("c.did = ?", chosen.did), ("m.id < ?", before)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if chosen.search:
        # The text, or any field's value (not the field names: "city" should not match every message).
        pattern = _like(chosen.search[:MAX_SEARCH])
        clauses.append("(m.text LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM json_each(m.fields) f "
                       "WHERE CAST(f.value AS TEXT) LIKE ? ESCAPE '\\'))")
        params += [pattern, pattern]
    columns = ", ".join(f"m.{c.strip()}" for c in _COLUMNS.split(","))
    sql = (f"SELECT {columns}, c.caller_number AS caller_number, c.caller_name AS caller_name, "  # noqa: S608
           f"c.did AS did FROM messages m LEFT JOIN calls c ON c.linkedid = m.linkedid "
           f"WHERE {' AND '.join(clauses)} ORDER BY m.id DESC LIMIT ?")
    out = []
    for row in db.query(sql, [*params, max(limit, 1)]):
        extra = {k: row.pop(k) for k in ("caller_number", "caller_name", "did")}
        out.append(Listed(_row(row), **extra))
    return out


def message_detail(db: sqlite_utils.Database, scope: Scope, message_id: int) -> Detail | None:
    """The message with everything its page shows, if this scope may see it."""
    message = get_message(db, scope, message_id)
    if message is None:
        return None
    caller = None
    if message.linkedid:
        caller = db.execute("SELECT caller_number, caller_name FROM calls WHERE linkedid = ? AND client_code = ?",
                            [message.linkedid, message.client_code]).fetchone()
    return Detail(message, history(db, message_id), contacts_by_id(db, message.client_code),
                  get_script(db, message.client_code), caller[0] if caller else None, caller[1] if caller else None)
