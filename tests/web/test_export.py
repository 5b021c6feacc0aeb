"""The CSV export's page writer: a page is written as it is unless a cell may start like a formula,
and then every cell defused() would change is changed — the fast path never lets one through."""

from __future__ import annotations

import csv
import io

import pytest

from store import calls
from web.export import _OUTSIDE_TEXT, defused, page_text

NAME = calls.CALL_FIELDS.index("caller_name")


def _row(**cells) -> tuple:
    row = ["1750000000.1", "1000", "+15145550100", "+15145550100", "+15145551234", None, "2026-01-02T10:00:00.000Z",
           None, "2026-01-02T10:01:00.000Z", 60.5, "answered", 16, "1000-accueil", "201", None, 12.25, 40.0,
           "caller", 0, "false", "3 4"]
    for name, value in cells.items():
        row[calls.CALL_FIELDS.index(name)] = value
    return tuple(row)


def _expected(rows: list[tuple]) -> list[list[str]]:
    out = []
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        for i in _OUTSIDE_TEXT:
            cells[i] = defused(cells[i])
        out.append(cells)
    return out


@pytest.mark.parametrize("name", [
    "Jeanne", "=HYPERLINK(\"http://x.invalid\",\"x\")", "@SUM(A1)", "\tcmd", "\rcmd", "+", "-2+3", "-12.5", "+1,5",
    "a,=b", "\"=quoted\"", "Dupont, Jeanne", "+15145551234", "+12.", "-", "=1\r\n=2", "line\nbreak", "+\u0661\u0662",
])
def test_a_page_is_every_cell_as_text_and_formulas_defused(name):
    rows = [_row(), _row(caller_name=name), _row(queue=name, agent=name), _row(caller_number=name, did=name)]
    assert list(csv.reader(io.StringIO(page_text(rows), newline=""))) == _expected(rows)


def test_plain_pages_take_the_fast_path(monkeypatch):
    calls_made: list[tuple] = []
    monkeypatch.setattr("web.export._defused_row", lambda row: calls_made.append(row) or row)
    page_text([_row(), _row(caller_name="Jean-Marc", caller_number="+33123456789", wait_s=None)])
    assert calls_made == []  # E.164 numbers and ordinary names: rows written as they are
    page_text([_row(), _row(caller_name="=1+1")])
    assert len(calls_made) == 2  # one risky cell: the page's rows defused
    page_text([_row(caller_number="+\u0661\u0662")])  # digits, but not ASCII ones: not a plain number
    assert len(calls_made) == 3
