"""The agent's desk: what a screen pop shows when a call reaches an agent, who it reached, and the
agent's wrap-up of a call (a disposition code and notes).

A wrap-up is kept apart from `calls`: the agent writes it while the call runs, before the listener
writes the call's row, and may change it afterwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlite_utils

from . import callbacks
from .callers import get_caller
from .clients import get_client, get_did
from .clock import now_iso
from .infopages import list_infopages, section_json
from .ivr_path import ivr_path
from .numbers import NumberError, to_e164

# What an agent may say of a call they handled; the portal shows each in French and English.
WRAPUP_CODES = ("message_taken", "information_given", "transferred", "callback_promised", "complaint",
                "wrong_number", "other")
MAX_NOTES = 4000
EARLIER_CALLS = 5  # how many of the caller's earlier calls a pop carries


class DeskError(ValueError):
    """A wrap-up was refused; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Wrapup:
    linkedid: str
    agent_id: str
    code: str
    notes: str
    login: str
    updated_at: str


def record_pop(db: sqlite_utils.Database, linkedid: str, agent_id: str, at: str) -> None:
    """This call reached this agent (idempotent): from now on the agent may read it and wrap it up."""
    db.execute("INSERT INTO screen_pops (linkedid, agent_id, at) VALUES (?, ?, ?) "
               "ON CONFLICT (linkedid, agent_id) DO NOTHING", [linkedid, agent_id, at])


def reached(db: sqlite_utils.Database, agent_id: str, linkedid: str) -> bool:
    """Whether the call reached this agent: popped on their screen, or answered by them."""
    return db.execute(
        "SELECT 1 FROM screen_pops WHERE linkedid = ? AND agent_id = ? "
        "UNION ALL SELECT 1 FROM calls WHERE linkedid = ? AND agent = ? LIMIT 1",
        [linkedid, agent_id, linkedid, agent_id]).fetchone() is not None


def set_wrapup(db: sqlite_utils.Database, linkedid: str, agent_id: str, login: str, code: str,
               notes: str = "") -> Wrapup:
    """Write or replace the wrap-up of a call that reached `agent_id`; DeskError naming the field if not."""
    if code not in WRAPUP_CODES:
        raise DeskError(f"must be one of {', '.join(WRAPUP_CODES)}, got {str(code)[:40]!r}", "code")
    if not isinstance(notes, str) or len(notes) > MAX_NOTES:
        raise DeskError(f"text of {MAX_NOTES} characters at most", "notes")
    if not reached(db, agent_id, linkedid):
        raise DeskError(f"call {linkedid} did not reach agent {agent_id}", "linkedid")
    wrapup = Wrapup(linkedid, agent_id, code, notes.strip(), login, now_iso())
    db.execute("INSERT INTO call_wrapups (linkedid, agent_id, code, notes, login, updated_at) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (linkedid) DO UPDATE SET agent_id = excluded.agent_id, "
               "code = excluded.code, notes = excluded.notes, login = excluded.login, "
               "updated_at = excluded.updated_at", list(asdict(wrapup).values()))
    return wrapup


def get_wrapup(db: sqlite_utils.Database, linkedid: str) -> dict | None:
    """A call's wrap-up (scope is checked by the caller: store.calls.get_call)."""
    rows = list(db.query("SELECT agent_id, code, notes, login, updated_at FROM call_wrapups WHERE linkedid = ?",
                         [linkedid]))
    return rows[0] if rows else None


def earlier_calls(db: sqlite_utils.Database, client_code: str, numbers: list[str], linkedid: str,
                  limit: int = EARLIER_CALLS) -> list[dict]:
    """The caller's previous calls to this client, newest first, with their wrap-ups."""
    # By number (calls_client_caller), not the client's calls newest first: a new caller would read them all.
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    rows = db.query(
        f"SELECT c.linkedid, c.started_at, c.disposition, c.queue, c.agent, c.talk_s, "  # noqa: S608 - placeholders
        f"w.code AS wrapup_code, w.notes AS wrapup_notes FROM calls c INDEXED BY calls_client_caller "
        f"LEFT JOIN call_wrapups w ON w.linkedid = c.linkedid "
        f"WHERE c.client_code = ? AND c.caller_number IN ({marks}) AND c.linkedid <> ? "
        f"ORDER BY c.started_at DESC LIMIT ?", [client_code, *numbers, linkedid, limit])
    return list(rows)


def screen_pop(db: sqlite_utils.Database, linkedid: str, agent_id: str, *, client_code: str | None,
               caller_number: str | None, queue: str | None, at: str, region: str, did: str | None = None,
               callback: dict | None = None) -> dict:
    """Everything the agent's screen shows when the call reaches them: the caller's record and earlier
    calls, the client and its InfoPages (addresses, hours, products, instructions…), the number dialled
    and its label, the IVR path so far. A callback conversation (`callback`: store.callbacks'
    conversation_context) shows the IVR path of the call the caller asked from, and that context."""
    client = get_client(db, client_code) if client_code else None
    numbers: list[str] = []
    e164 = None
    if caller_number:
        numbers.append(caller_number)
        try:
            e164 = to_e164(caller_number, region)
            numbers.append(e164)
        except NumberError:
            pass  # a number that is not one (a test caller's name, say): shown as it came
    if callback is not None and callback["of_caller_number"] and _same_number(callback["of_caller_number"], e164,
                                                                             region):
        numbers.append(callback["of_caller_number"])  # the history keeps the number as the caller's call came
    record = get_caller(db, client.code, e164) if client is not None and e164 else None
    earlier = earlier_calls(db, client.code, list(dict.fromkeys(numbers)), linkedid) if client else []
    # Known: the dnis route has seen the number before, or the history has calls from it.
    count = record.calls_count if record is not None else len(earlier) + 1
    caller: dict = {"number": e164 or caller_number, "known": count > 1 or bool(earlier), "calls_count": count,
                    "name": record.name if record else None, "notes": record.notes if record else "",
                    "first_call_at": record.first_call_at if record else None}
    number = get_did(db, did) if did else None  # which of the client's numbers: "urgences" is answered otherwise
    return {
        "linkedid": linkedid, "agent": agent_id, "at": at, "queue": queue,
        "did": None if did is None else {"number": did, "label": number.label if number else ""},
        "caller": caller,
        "earlier_calls": earlier,
        "client": None if client is None else {
            "code": client.code, "name": client.name, "language": client.language,
            "infopages": [section_json(s) for s in list_infopages(db, client.code)]},
        "ivr_path": ivr_path(db, callback["of"] if callback is not None else linkedid),
        "wrapup": get_wrapup(db, linkedid),
        **({} if callback is None else {"callback": {**callback, "caller": "dialling"}}),
    }


def _same_number(number: str, e164: str | None, region: str) -> bool:
    """Whether the original call came from the number called back (not from a withheld one: the caller
    keyed another in, and "anonymous" is not theirs to look up)."""
    try:
        return e164 is not None and to_e164(number, region) == e164
    except NumberError:
        return False


def callback_pop(db: sqlite_utils.Database, linkedid: str, agent_id: str, *, client_code: str | None,
                 at: str, region: str, did: str | None = None) -> dict:
    """The pop of a callback conversation (an attempt's linkedid) once its agent answered, before the
    caller is dialled: whom they are calling back, for which call, and that call's IVR path."""
    context = callbacks.conversation_context(db, linkedid)
    if context is None:  # not an attempt the store knows: a pop of the conversation as it is
        return screen_pop(db, linkedid, agent_id, client_code=client_code, caller_number=None, queue=None, at=at,
                          region=region, did=did)
    return screen_pop(db, linkedid, agent_id, client_code=client_code or None, caller_number=context["number"],
                      queue=context["queue"], at=at, region=region, did=did or None, callback=context)
