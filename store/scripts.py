"""Each client's script (callscript.Script, kept as JSON), and what an agent's form for a call needs: the
call's client and caller, the pre-fill from the caller's record and last message, and the message the
answers become.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers
import sqlite_utils

from callscript import Script, caller_language, parse_script, prefill, summary, validate

from . import messages
from .callers import get_caller
from .clients import ClientNotFound, get_client
from .clock import now_iso
from .ivr_path import ivr_path
from .numbers import NumberError, to_e164


@dataclass(frozen=True)
class CallContext:
    """Whose call it is and who called: from the call's row once written, else from the caller's record
    the dnis route touched when the call came in."""

    client_code: str
    caller_number: str | None


class AnswersRefused(ValueError):
    """The answers were refused: every bad one, by question key (its message, and its kind: KINDS)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(f"{first}: {errors[first]}")
        self.errors = dict(errors)
        self.kinds = {key: getattr(why, "kind", "answers") for key, why in errors.items()}
        self.field = first


def get_script(db: sqlite_utils.Database, client_code: str) -> Script | None:
    row = db.execute("SELECT questions FROM call_scripts WHERE client_code = ?", [client_code]).fetchone()
    return parse_script(json.loads(row[0])) if row else None


def set_script(db: sqlite_utils.Database, client_code: str, raw: object) -> Script:
    """Check and keep a client's script, replacing the one it had; no questions at all removes it."""
    if get_client(db, client_code) is None:
        raise ClientNotFound(f"no client {client_code}", "client")
    script = parse_script(raw)
    if not script.questions:
        clear_script(db, client_code)
        return script
    db.execute("INSERT INTO call_scripts (client_code, questions, updated_at) VALUES (?, ?, ?) "
               "ON CONFLICT (client_code) DO UPDATE SET questions = excluded.questions, "
               "updated_at = excluded.updated_at",
               [client_code, json.dumps(script.as_json()["questions"], ensure_ascii=False), now_iso()])
    return script


def clear_script(db: sqlite_utils.Database, client_code: str) -> None:
    if get_client(db, client_code) is None:
        raise ClientNotFound(f"no client {client_code}", "client")
    db.execute("DELETE FROM call_scripts WHERE client_code = ?", [client_code])


def call_context(db: sqlite_utils.Database, linkedid: str) -> CallContext | None:
    row = db.execute("SELECT client_code, caller_number FROM calls WHERE linkedid = ? AND client_code IS NOT NULL",
                     [linkedid]).fetchone()
    if row is None:
        row = db.execute("SELECT client_code, number FROM callers WHERE last_linkedid = ? LIMIT 1",
                         [linkedid]).fetchone()
    return CallContext(row[0], row[1]) if row else None


def _numbers(number: str | None, region: str) -> tuple[list[str], str | None]:
    """The forms the history may keep a number in (the caller ID as it came: 5145551111, 15145551111,
    +15145551111), and its E.164 form if it is a phone number."""
    if not number:
        return [], None
    try:
        e164 = to_e164(number, region)
    except NumberError:
        return [number], None
    parsed = phonenumbers.parse(e164)
    national = phonenumbers.national_significant_number(parsed)
    return list(dict.fromkeys([number, national, f"{parsed.country_code}{national}", e164])), e164


def last_fields(db: sqlite_utils.Database, client_code: str, numbers: list[str], linkedid: str) -> dict:
    """The fields of the newest message this client took on another call from one of these numbers."""
    if not numbers:
        return {}
    marks = ", ".join("?" for _ in numbers)
    # From the number's calls (calls_client_caller) to their messages (messages_call); CROSS JOIN keeps that
    # order, which the planner would turn round for the ORDER BY: a new caller costs an index probe, not a
    # read of every message of the client.
    row = db.execute(
        f"SELECT m.fields FROM calls c CROSS JOIN messages m ON m.linkedid = c.linkedid "  # noqa: S608 - placeholders
        f"WHERE c.client_code = ? AND c.caller_number IN ({marks}) AND c.linkedid <> ? AND m.client_code = ? "
        f"ORDER BY m.id DESC LIMIT 1", [client_code, *numbers, linkedid, client_code]).fetchone()
    return json.loads(row[0]) if row else {}


def call_form(db: sqlite_utils.Database, linkedid: str, context: CallContext, region: str) -> dict:
    """What the agent's form shows for this call: the client's questions in the caller's language,
    pre-filled (no questions: the client has no script)."""
    client = get_client(db, context.client_code)
    assert client is not None
    script = get_script(db, client.code)
    language = caller_language(ivr_path(db, linkedid), client.language)
    # The messages already taken on this call: a page opened again says so rather than invite a second.
    taken = [row[0] for row in db.execute("SELECT id FROM messages WHERE linkedid = ? AND client_code = ? "
                                          "ORDER BY id", [linkedid, client.code])]
    out = {"linkedid": linkedid, "client_code": client.code, "language": language, "questions": [],
           "prefill": {}, "messages": taken}
    if script is None:
        return out
    numbers, e164 = _numbers(context.caller_number, region)
    record = get_caller(db, client.code, e164) if e164 else None
    out["questions"] = script.as_json()["questions"]
    out["prefill"] = prefill(script, caller_number=e164 or context.caller_number,
                             caller_name=record.name if record else None,
                             last_fields=last_fields(db, client.code, numbers, linkedid), region=region)
    return out


def take_message(db: sqlite_utils.Database, linkedid: str, context: CallContext, login: str,
                 answers: Mapping[str, object], region: str) -> messages.Message:
    """Check the answers against the client's script as it is now and take them as the call's message
    (its dispatch starts by the client's protocol); AnswersRefused names every bad answer."""
    script = get_script(db, context.client_code)
    if script is None:
        raise AnswersRefused({"answers": f"client {context.client_code} has no script"})
    values, errors = validate(script, answers, region)
    if errors:
        raise AnswersRefused(errors)
    if not values:
        raise AnswersRefused({"answers": "no question was answered"})
    client = get_client(db, context.client_code)
    assert client is not None
    # The text is read by the client's people (SMS, the phone, email): in the client's language.
    text = summary(script, values, client.language, messages.MAX_TEXT)
    return messages.create_message(db, context.client_code, login, text=text, fields=values, linkedid=linkedid)
