"""The call history as CSV, streamed: one keyset page of CHUNK calls is read, written and dropped at a
time, so memory stays flat whatever the number of rows (two pages at most: the next one is read while
the current one is sent), and each page is its own short read (the store's readers are never held for
the length of a download). A page is made into CSV text on the reader's thread, from rows SQLite
has already shaped (store.calls.export_page), so the event loop only sends bytes.

The columns are the JSON fields of a call, in the store's order, plus `recording_ids`. A cell is the
JSON value as text (null empty, booleans true/false), except that text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return, and not a plain number such as +15145550100)
gets a leading apostrophe: caller names come from the calling side's caller ID.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import operator
from datetime import datetime
from itertools import chain

import sqlite_utils
from aiohttp import web

from reports.csvtext import FORMULA_START as _FORMULA_START
from reports.csvtext import defused
from store import Scope, calls
from store.call_filter import CallFilter

from .keys import STORE

log = logging.getLogger(__name__)
CHUNK = 1000
COLUMNS = (*calls.CALL_FIELDS, "recording_ids")
_OUTSIDE_TEXT = tuple(calls.CALL_FIELDS.index(c) for c in (
    "did", "dialled", "caller_number", "caller_name", "queue", "agent"))
_PICK_OUTSIDE = operator.itemgetter(*_OUTSIDE_TEXT)
_STARTED_AT, _LINKEDID = calls.CALL_FIELDS.index("started_at"), calls.CALL_FIELDS.index("linkedid")
_HEADER = (",".join(COLUMNS) + "\r\n").encode()


def _defused_row(row: tuple) -> tuple:
    cells = list(row)
    for i in _OUTSIDE_TEXT:
        if cells[i]:
            cells[i] = defused(cells[i])
    return tuple(cells)


def _needs_defusing(rows: list[tuple]) -> bool:
    """Whether any cell a caller chose, in these rows, is one defused() changes. Each distinct value is
    looked at once (numbers, names, queues and agents repeat), a plain E.164 number in two string
    methods; a page of them costs a fraction of a millisecond."""
    for text in set(chain.from_iterable(map(_PICK_OUTSIDE, rows))):
        if not text or text[0] not in _FORMULA_START:
            continue
        rest = text[1:]
        if text[0] in "+-" and rest.isascii() and rest.isdigit():
            continue
        if defused(text) != text:
            return True
    return False


def page_text(rows: list[tuple]) -> str:
    """Rows of calls.export_page as CSV text, the cells a caller chose defused when one needs it."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(map(_defused_row, rows) if _needs_defusing(rows) else rows)
    return buffer.getvalue()


def csv_page(db: sqlite_utils.Database, scope: Scope, before: tuple[str, str] | None, filters: CallFilter,
             now: datetime) -> tuple[bytes, int, tuple[str, str] | None]:
    """A page of the export as CSV bytes, how many calls it holds, and where the next one starts."""
    rows = calls.export_page(db, scope, CHUNK, before, filters, now)
    last = (rows[-1][_STARTED_AT], rows[-1][_LINKEDID]) if rows else None
    return page_text(rows).encode("utf-8"), len(rows), last


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

    def read(start: tuple[str, str] | None) -> asyncio.Future[tuple[bytes, int, tuple[str, str] | None]]:
        return asyncio.ensure_future(store.read(lambda db: csv_page(db, scope, start, filters, now)))

    pending: asyncio.Future | None = read(before)
    try:
        await response.write(_HEADER)
        while pending is not None:
            data, count, last = await pending
            pending = read(last) if count == CHUNK else None  # read ahead while this page is sent
            await response.write(data)
    except ConnectionResetError:
        log.info("web: CSV export to %s stopped: the client went away", request.remote)
        return response
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
    await response.write_eof()
    return response
