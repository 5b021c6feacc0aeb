"""SMS delivery reports: what the SMS centre and the phone said of an SMS attempt.

Kannel calls the web app with a report type per SMS (its dlr-url, `%d`): 8 the SMS centre took it, 16 it
refused it, 1 the phone got it, 2 it never will. Each report is appended to the message's history
(`sms_accepted`, `sms_delivered`, `sms_undelivered`, `sms_rejected`, with the centre's words as detail) and
kept on the attempt as its delivery state with its time. A rejection or a non-delivery ends the attempt's
step at once — nobody should wait minutes for a reply to an SMS that never left — but no report ever
confirms a message: only the right code in a reply does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlite_utils

from .dispatch import Attempt, end_now
from .messages import add_history

# Kannel's DLR types (its dlr.h) → the attempt's delivery state; 4 (buffered) is never asked for.
REPORTS: dict[int, str] = {8: "accepted", 1: "delivered", 2: "undelivered", 16: "rejected"}
STATES = tuple(REPORTS.values())
RESULTS = tuple(f"sms_{state}" for state in STATES)  # the history entries the reports append
ENDS_STEP = ("undelivered", "rejected")  # the SMS will not reach the phone: the next step need not wait
MAX_ATTEMPT_DIGITS = 18
MAX_REPLY = 500


class ReportError(ValueError):
    """A report's parameter is malformed; `parameter` names it."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Report:
    attempt_id: int
    state: str  # one of STATES
    reply: str = ""  # what the SMS centre answered (Kannel's %A), for the history's detail


@dataclass(frozen=True)
class Recorded:
    """What a report did: recorded, duplicate (that state was recorded for the attempt already) or unknown
    (no SMS attempt of that id); ended_step if it ended the attempt's step now (its message was waiting at
    that step)."""

    result: str
    message_id: int | None = None
    ended_step: bool = False


def parse(query: Mapping[str, str]) -> Report:
    """A report from the dlr-url's parameters: attempt (the attempt's id), status (the report type),
    reply (optional). ReportError names the first parameter that is missing or malformed."""
    attempt = query.get("attempt", "")
    if not attempt.isascii() or not attempt.isdigit() or len(attempt) > MAX_ATTEMPT_DIGITS or int(attempt) == 0:
        raise ReportError(f"an SMS attempt's id (a positive number), got {attempt[:40]!r}", "attempt")
    status = query.get("status", "")
    if not status.isascii() or not status.isdigit() or int(status) not in REPORTS:
        allowed = ", ".join(str(n) for n in sorted(REPORTS))
        raise ReportError(f"a delivery report type, one of {allowed}, got {status[:40]!r}", "status")
    reply = "".join(c if c.isprintable() else " " for c in query.get("reply", ""))
    return Report(int(attempt), REPORTS[int(status)], reply.strip()[:MAX_REPLY])


def _sms_attempt(db: sqlite_utils.Database, attempt_id: int) -> Attempt | None:
    """The SMS attempt of that id: a row the dispatch wrote when it sent an SMS (it has a deadline); an
    outcome entry or another channel's attempt is none."""
    row = db.execute("SELECT id, message_id, step, channel, recipient, code, deadline FROM message_history "
                     "WHERE id = ? AND channel = 'sms' AND deadline IS NOT NULL", [attempt_id]).fetchone()
    return Attempt(*row) if row else None


def record(db: sqlite_utils.Database, report: Report, at: str) -> Recorded:
    """Append the report to the history, keep it as the attempt's delivery state and, for a rejection or a
    non-delivery, end the attempt's step now if its message still waits there. A report for an attempt
    whose message has moved on or finished is recorded and moves nothing."""
    attempt = _sms_attempt(db, report.attempt_id)
    if attempt is None:
        return Recorded("unknown")
    # The same state again — one report per part of a concatenated SMS, or smsbox retrying a report we
    # took — says nothing new: the history keeps each state once.
    if db.execute("SELECT 1 FROM message_history WHERE message_id = ? AND step = ? AND recipient IS ? "
                  "AND result = ? AND id > ? LIMIT 1",
                  [attempt.message_id, attempt.step, attempt.recipient, f"sms_{report.state}",
                   attempt.id]).fetchone():
        return Recorded("duplicate", attempt.message_id)
    add_history(db, attempt.message_id, "sms", f"sms_{report.state}", at=at, step=attempt.step,
                recipient=attempt.recipient, detail=report.reply)
    # Reports may come out of order (the SMS centre's acceptance after the phone's receipt): a final
    # state is never replaced by 'accepted'.
    db.execute("UPDATE message_history SET delivery = ?, delivery_at = ? WHERE id = ? "
               "AND (? <> 'accepted' OR delivery IS NULL OR delivery = 'accepted')",
               [report.state, at, attempt.id, report.state])
    ended = report.state in ENDS_STEP and end_now(db, attempt, at)
    return Recorded("recorded", attempt.message_id, ended)
