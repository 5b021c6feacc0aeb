"""CSV as the reports write it: every cell text, and text a spreadsheet would run as a formula defused.

A cell starting with = + - @, a tab or a carriage return that is not a plain number (such as
+15145550100) gets a leading apostrophe: caller names and a message's fields are typed by others.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

FORMULA_START = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
MESSAGE_COLUMNS = ("id", "created_at", "caller_number", "linkedid", "status", "confirmed_at", "confirmed_by",
                   "created_by", "text")
FIELD_PREFIX = "fields."


def defused(text: str) -> str:
    """`text`, with a leading apostrophe if a spreadsheet would run it as a formula."""
    if text[:1] in FORMULA_START and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def cell(value: object) -> str:
    """A value as CSV text: null empty, booleans true/false, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return defused(str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def local_time(value: str | None, zone: ZoneInfo) -> str | None:
    """A stored ISO UTC time in the client's zone, with its offset (2026-03-08T03:00:00-04:00)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone).isoformat(timespec="seconds")


def messages_csv(messages: Sequence[dict], zone: ZoneInfo) -> str:
    """The daily report's CSV: one row per message, oldest first; times in the client's zone; then one
    column per script field (`fields.city`, …) in the order they first appear."""
    names: dict[str, None] = {}
    for m in messages:
        names.update(dict.fromkeys(m["fields"]))
    header = (*MESSAGE_COLUMNS, *(FIELD_PREFIX + n for n in names))
    rows = []
    for m in messages:
        row = {**m, "created_at": local_time(m["created_at"], zone),
               "confirmed_at": local_time(m["confirmed_at"], zone)}
        rows.append([row[c] for c in MESSAGE_COLUMNS] + [m["fields"].get(n) for n in names])
    return table(header, rows)
