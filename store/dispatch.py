"""Where each message's dispatch stands, and its moves: every one a compare-and-set on (status, step).

The dispatcher (dispatch/) and the web app (replies, confirmation links) both move messages; the
writer runs one job at a time, and each move first checks that the message is still where its caller
saw it, so a confirmation racing a deadline is decided once. Times are ISO strings from the caller's
clock (store/clock.py), so tests can run the dispatch on a clock of their own.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlite_utils

from .clock import iso, parse_iso
from .messages import _COLUMNS, Message, _row, add_history

CODE_ALPHABET = "23456789ACDEFHJKMNPRTUVWXY"  # no 0/O, 1/I/L, 5/S, 8/B, Z/2 look-alikes
REPLY_CODE = re.compile(r"(?:^|[^A-Za-z0-9])([A-Za-z0-9]{1,4})[\s.!?]*$")  # a reply's last word, 1-4 characters
REPLY_LOOKBACK = timedelta(days=7)  # a reply is matched against the SMS sent to its sender this recently


@dataclass(frozen=True)
class Attempt:
    id: int
    message_id: int
    step: int
    channel: str
    recipient: str | None
    code: str | None
    deadline: str | None


@dataclass(frozen=True)
class Outcome:
    """What a reply or a confirmation did: confirmed | wrong_code | late | unknown; and to which message."""

    result: str
    message_id: int | None = None


def due(db: sqlite_utils.Database, at: str, limit: int = 50) -> list[Message]:
    """Messages whose dispatch must move now: new ones, and those whose step's deadline has passed."""
    return [_row(r) for r in db.query(
        f"SELECT {_COLUMNS} FROM messages WHERE status IN ('pending', 'dispatching') AND deadline <= ? "  # noqa: S608
        "ORDER BY deadline, id LIMIT ?", [at, limit])]


def next_deadline(db: sqlite_utils.Database) -> str | None:
    row = db.execute("SELECT min(deadline) FROM messages WHERE status IN ('pending', 'dispatching')").fetchone()
    return row[0] if row else None


def current(db: sqlite_utils.Database, message_id: int) -> Message | None:
    rows = list(db.query(f"SELECT {_COLUMNS} FROM messages WHERE id = ?", [message_id]))  # noqa: S608
    return _row(rows[0]) if rows else None


def end_step(db: sqlite_utils.Database, message: Message, at: str) -> None:
    """The running step's time is up: 'no_reply' goes to the history unless the step has ended already
    (its attempt failed, nobody answered the phone, the SMS was rejected or not delivered)."""
    if message.status != "dispatching" or message.step is None:
        return
    ended = db.execute(
        "SELECT 1 FROM message_history WHERE message_id = ? AND step = ? "
        "AND result IN ('failed', 'no_reply', 'no_answer', 'not_confirmed', 'confirmed', 'sms_undelivered', "
        "'sms_rejected')",
        [message.id, message.step]).fetchone()
    if ended is None:
        add_history(db, message.id, message.steps[message.step].channel, "no_reply", at=at, step=message.step)


def skip_step(db: sqlite_utils.Database, message: Message, step: int, at: str, detail: str,
              recipient: str | None = None, contact_id: int | None = None) -> None:
    """Step `step` cannot start (nobody to send it to, no address for that channel): a failed attempt."""
    add_history(db, message.id, message.steps[step].channel, "failed", at=at, step=step, recipient=recipient,
                contact_id=contact_id, detail=detail)


def _fresh_code(db: sqlite_utils.Database, recipient: str, length: int, at: str) -> str:
    """A code no SMS still waiting for a reply from the same recipient has (so a reply names one message)."""
    taken = {r[0] for r in db.execute(
        "SELECT upper(code) FROM message_history WHERE channel = 'sms' AND recipient = ? AND result = 'sent' "
        "AND deadline > ?", [recipient, at])}
    code = ""
    for _ in range(100):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if code not in taken:
            return code
    return code  # every short code is out at once: the newest SMS wins the reply


def begin_step(db: sqlite_utils.Database, message: Message, step: int, at: str, *, recipient: str,
               contact_id: int | None, token_hash: str | None = None) -> Attempt:
    """Move the message to `step` with its deadline and write the attempt (result 'sending' until the
    channel answers: attempt_sent or attempt_failed). The caller checked the message is where it saw it."""
    spec = message.steps[step]
    deadline = iso(parse_iso(at) + timedelta(seconds=spec.wait_s))
    db.execute("UPDATE messages SET status = 'dispatching', step = ?, deadline = ? WHERE id = ?",
               [step, deadline, message.id])
    code = _fresh_code(db, recipient, spec.code_length, at) if spec.channel == "sms" else None
    attempt_id = add_history(db, message.id, spec.channel, "sending", at=at, step=step, recipient=recipient,
                             contact_id=contact_id, code=code, deadline=deadline, token_hash=token_hash)
    return Attempt(attempt_id, message.id, step, spec.channel, recipient, code, deadline)


def attempt_sent(db: sqlite_utils.Database, attempt: Attempt, detail: str = "") -> None:
    db.execute("UPDATE message_history SET result = 'sent', detail = ? WHERE id = ? AND result = 'sending'",
               [detail[:500], attempt.id])


def attempt_failed(db: sqlite_utils.Database, attempt: Attempt, at: str, detail: str, result: str = "failed") -> None:
    """The channel refused the attempt ('failed'), or the phone was not answered ('no_answer'): so marked,
    and its step ends now (the next look moves on)."""
    db.execute("UPDATE message_history SET result = ?, detail = ? WHERE id = ?", [result, detail[:500], attempt.id])
    end_now(db, attempt, at)


def attempt_ended(db: sqlite_utils.Database, attempt: Attempt, result: str, at: str, detail: str = "") -> bool:
    """The attempt ended without a confirmation while its step still waited (a call hung up before 1 was
    pressed): its outcome goes to the history and the step ends now. False if the step was over already."""
    if not end_now(db, attempt, at):
        return False
    add_history(db, attempt.message_id, attempt.channel, result, at=at, step=attempt.step,
                recipient=attempt.recipient, detail=detail)
    return True


def end_now(db: sqlite_utils.Database, attempt: Attempt, at: str) -> bool:
    """The attempt's step ends now (its deadline set to `at`) if its message still waits there."""
    cursor = db.execute("UPDATE messages SET deadline = ? WHERE id = ? AND status = 'dispatching' AND step = ?",
                        [at, attempt.message_id, attempt.step])
    return cursor.rowcount == 1


def alert(db: sqlite_utils.Database, message: Message, step: int, at: str) -> None:
    """Every step failed: the message has failed and the dispatcher is alerted."""
    db.execute("UPDATE messages SET status = 'failed', step = ?, deadline = NULL WHERE id = ?", [step, message.id])
    add_history(db, message.id, "alert", "alerted", at=at, step=step, recipient="dispatcher")


def _attempt(row: tuple) -> Attempt:
    return Attempt(*row)


_ATTEMPT = "id, message_id, step, channel, recipient, code, deadline"


def _confirm(db: sqlite_utils.Database, attempt: Attempt, at: str, party: str, code: str | None) -> Outcome:
    """A confirmation for an attempt: it counts if its message still waits at that step and its deadline
    has not passed; otherwise it is late. Both go to the history."""
    cursor = db.execute(
        "UPDATE messages SET status = 'delivered', confirmed_at = ?, confirmed_by = ?, deadline = NULL "
        "WHERE id = ? AND status = 'dispatching' AND step = ? AND ? <= ?",
        [at, party, attempt.message_id, attempt.step, at, attempt.deadline or ""])
    result = "confirmed" if cursor.rowcount == 1 else "late"
    add_history(db, attempt.message_id, attempt.channel, result, at=at, step=attempt.step, recipient=attempt.recipient,
                confirmed_by=party, code=code)
    return Outcome(result, attempt.message_id)


def reply_code(text: str) -> str | None:
    """The confirmation code a reply ends with (1-4 letters or digits), upper-cased; None if none."""
    found = REPLY_CODE.search((text or "").strip())
    return found.group(1).upper() if found else None


def sms_reply(db: sqlite_utils.Database, sender: str, text: str, at: str) -> Outcome:
    """A reply from `sender` (E.164): the right code within its SMS's deadline confirms; a code that
    belongs to an SMS whose time is up is late; any other is wrong, written to the history of the
    newest SMS sent to that number. A number we sent nothing to changes nothing."""
    since = iso(parse_iso(at) - REPLY_LOOKBACK)
    sent = [_attempt(r) for r in db.execute(
        f"SELECT {_ATTEMPT} FROM message_history WHERE channel = 'sms' AND recipient = ? "  # noqa: S608
        "AND result IN ('sent', 'sending') AND at >= ? ORDER BY id DESC", [sender, since])]
    if not sent:
        return Outcome("unknown")
    code = reply_code(text)
    for attempt in sent:
        if code is not None and (attempt.code or "").upper() == code:
            return _confirm(db, attempt, at, sender, code)
    # Wrong: kept on the newest SMS still waiting for this number, or else the newest of all.
    waiting = [a for a in sent if (a.deadline or "") >= at]
    target = (waiting or sent)[0]
    add_history(db, target.message_id, "sms", "wrong_code", at=at, step=target.step, recipient=sender,
                confirmed_by=sender, code=code, detail=(text or "")[:160])
    return Outcome("wrong_code", target.message_id)


def email_confirm(db: sqlite_utils.Database, token_hash: str, at: str) -> Outcome:
    """The link of a confirmation email was followed (its token's hash)."""
    row = db.execute(f"SELECT {_ATTEMPT} FROM message_history WHERE token_hash = ? AND channel = 'email'",  # noqa: S608
                     [token_hash]).fetchone()
    if row is None:
        return Outcome("unknown")
    attempt = _attempt(row)
    return _confirm(db, attempt, at, attempt.recipient or "email", None)


def phone_confirm(db: sqlite_utils.Database, attempt_id: int, at: str) -> Outcome:
    """The contact pressed 1 on the phone call of attempt `attempt_id`."""
    row = db.execute(f"SELECT {_ATTEMPT} FROM message_history WHERE id = ? AND channel = 'phone'",  # noqa: S608
                     [attempt_id]).fetchone()
    if row is None:
        return Outcome("unknown")
    attempt = _attempt(row)
    return _confirm(db, attempt, at, attempt.recipient or "phone", "1")


def get_attempt(db: sqlite_utils.Database, attempt_id: int) -> Attempt | None:
    row = db.execute(f"SELECT {_ATTEMPT} FROM message_history WHERE id = ?", [attempt_id]).fetchone()  # noqa: S608
    return _attempt(row) if row else None


def alerts(db: sqlite_utils.Database, limit: int = 100) -> list[dict]:
    """Failed messages the dispatcher has not yet taken in hand (the live view shows them)."""
    return [dict(r) for r in db.query(
        "SELECT m.id AS message_id, m.client_code, m.linkedid, m.text, h.at AS alerted_at FROM messages m "
        "JOIN message_history h ON h.message_id = m.id AND h.channel = 'alert' "
        "WHERE m.status = 'failed' AND m.acknowledged_at IS NULL ORDER BY h.at DESC LIMIT ?", [limit])]


def acknowledge(db: sqlite_utils.Database, message_id: int, login: str, at: str) -> bool:
    """The dispatcher takes a failed message in hand: its alert leaves the live view."""
    cursor = db.execute("UPDATE messages SET acknowledged_at = ?, acknowledged_by = ? "
                        "WHERE id = ? AND status = 'failed' AND acknowledged_at IS NULL", [at, login, message_id])
    if cursor.rowcount == 1:
        add_history(db, message_id, "alert", "acknowledged", at=at, confirmed_by=login)
    return cursor.rowcount == 1
