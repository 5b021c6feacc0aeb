"""The call history as CSV, streamed: one keyset page of CHUNK calls is read, written and dropped at a
time, so memory stays flat whatever the number of rows, and each page is its own short read (the
store's readers are never held for the length of a download).

The columns are the JSON fields of a call, in the store's order, plus `recording_ids`. A cell is the
JSON value as text (null empty, booleans true/false), except that text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return, and not a plain number such as +15145550100)
gets a leading apostrophe: caller names come from the calling side's caller ID.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import datetime

from aiohttp import web

from store import Scope, calls
from store.call_filter import CallFilter

from .keys import STORE

log = logging.getLogger(__name__)
CHUNK = 1000
COLUMNS = (*calls.CALL_FIELDS, "recording_ids")
_RECOVERED = calls.CALL_FIELDS.index("recovered")  # 0/1 in the store's tuples, a boolean in JSON
_OUTSIDE_TEXT = tuple(calls.CALL_FIELDS.index(c) for c in (
    "did", "dialled", "caller_number", "caller_name", "queue", "agent"))
_STARTED_AT, _LINKEDID = calls.CALL_FIELDS.index("started_at"), calls.CALL_FIELDS.index("linkedid")
_FORMULA_START = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def defused(text: str) -> str:
    """`text`, with a leading apostrophe if a spreadsheet would run it as a formula."""
    if text[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(row: tuple) -> list:
    """A row of calls.list_call_tuples as CSV cells; the csv module writes None as '' and numbers as
    their repr. Only the text that comes from outside the store (numbers, names, queue and agent
    names) can start like a formula — the rest is made by the store and checked by the schema — so
    only that is looked at, for speed: an export runs to 100 000 rows and more."""
    cells = list(row[:-1])
    for i in _OUTSIDE_TEXT:
        if cells[i]:
            cells[i] = defused(cells[i])
    cells[_RECOVERED] = "true" if cells[_RECOVERED] else "false"
    cells.append(" ".join(map(str, row[-1])))
    return cells


async def csv_response(request: web.Request, scope: Scope, filters: CallFilter, before: tuple[str, str] | None,
                       now: datetime, filename: str) -> web.StreamResponse:
    """Every call matching `filters` after `before`, newest first (every parameter is checked by now:
    once the headers are sent, an error can no longer be a 400)."""
    store = request.app[STORE]
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    try:
        while True:
            rows = await store.read(lambda db, b=before: calls.list_call_tuples(db, scope, CHUNK, b, filters, now))
            writer.writerows(map(csv_row, rows))
            await response.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
            if len(rows) < CHUNK:
                break
            before = (rows[-1][_STARTED_AT], rows[-1][_LINKEDID])
    except ConnectionResetError:
        log.info("web: CSV export to %s stopped: the client went away", request.remote)
        return response
    await response.write_eof()
    return response
