"""GET /api/calls (filters, keyset pages, window, CSV export) and GET /api/calls/{linkedid}."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

import web.export
from store import CallRecord, calls
from store.clock import iso

from .conftest import Api
from .history_data import ALICE_IDS, FORMULA_NAME, at, with_history


async def _json(api: Api, headers: dict, query: str, cursor: str = "") -> list[dict]:
    """Every call of a filter, following the cursors two calls at a time."""
    out: list[dict] = []
    cursor = f"&cursor={cursor}" if cursor else ""
    while True:
        resp = await api.client.get(f"/api/calls?limit=2&{query}{cursor}", headers=headers)
        assert resp.status == 200, await resp.text()
        body = await resp.json()
        out += body["calls"]
        if body["next_cursor"] is None:
            return out
        cursor = f"&cursor={body['next_cursor']}"


async def _csv(api: Api, headers: dict, query: str, accept: bool = False) -> list[dict]:
    if accept:
        resp = await api.client.get(f"/api/calls?{query}", headers={**headers, "Accept": "text/csv"})
    else:
        resp = await api.client.get(f"/api/calls?format=csv&{query}", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="calls-')
    return list(csv.DictReader(io.StringIO(await resp.text())))


def _as_csv(call: dict) -> dict:
    """What the CSV row of a JSON call must be: its fields as text (null empty, booleans true/false)."""
    def text(value) -> str:
        return "" if value is None else ("true" if value else "false") if isinstance(value, bool) else str(value)

    row = {name: text(value) for name, value in call.items() if name != "recordings"}
    row["recording_ids"] = " ".join(str(r["id"]) for r in call["recordings"])
    if row["caller_name"].startswith("="):
        row["caller_name"] = "'" + row["caller_name"]  # defused (test_csv_cells_a_spreadsheet_would_run...)
    return row


FILTERS = {
    "": ALICE_IDS,
    f"from={quote(at(5))}": ALICE_IDS[:-1],
    f"to={quote(at(15))}": ["h2", "h1"],
    f"from={quote(at(5))}&to={quote(at(25))}": ["h3", "h2"],
    "did=%2B15145550100": ["h3", "h1"],
    "did=514-555-0101": ["h4", "h2"],  # normalised to E.164
    "caller=1111": ["h3", "h1"],
    "disposition=abandoned_ivr,abandoned_queue": ["h3", "h2"],
    "disposition=voicemail&disposition=abandoned_ivr": ["h4", "h3"],
    "queue=1000-accueil": ["h2", "h1"],
    "agent=202": ["h4"],
    "has_recording=true": ALICE_IDS[:3],
    "has_recording=false": ALICE_IDS[3:],
    "queue=1000-accueil&disposition=answered&caller=1111": ["h1"],
    "client=1000": ALICE_IDS,
}


async def test_every_filter_and_csv_equals_json(api: Api, monkeypatch):
    monkeypatch.setattr(web.export, "CHUNK", 2)  # several pages per export
    who = await with_history(api)
    for query, expected in FILTERS.items():
        listed = await _json(api, who["alice"], query)
        assert [c["linkedid"] for c in listed] == expected, query
        exported = await _csv(api, who["alice"], query)
        assert exported == [_as_csv(c) for c in listed], query
        assert await _csv(api, who["alice"], query, accept=True) == exported, query


async def test_admins_and_supervisors_see_every_client_and_all_history(api: Api):
    who = await with_history(api)
    for login in ("root", "sup"):
        everything = [c["linkedid"] for c in await _json(api, who[login], "")]
        assert everything[:1] == ["1800000000.1"] and "old" in everything and len(everything) == 9
        assert [c["linkedid"] for c in await _json(api, who[login], "client=2000")] == ["1800000000.1"]
        assert [c["linkedid"] for c in await _json(api, who[login], "queue=1000-accueil")] == ["h2", "h1"]
    assert (await api.client.get("/api/calls?client=9999", headers=who["root"])).status == 404


async def test_the_csv_is_written_page_by_page(api: Api, monkeypatch):
    who = await with_history(api)
    monkeypatch.setattr(web.export, "CHUNK", 3)
    sizes: list[int] = []
    original = calls.export_page

    def counting(*args, **kw):
        rows = original(*args, **kw)
        sizes.append(len(rows))
        return rows

    monkeypatch.setattr(calls, "export_page", counting)
    rows = await _csv(api, who["root"], "")
    assert len(rows) == 9 and sizes == [3, 3, 3, 0]  # page by page (the next one read while one is sent)
    assert list(rows[0]) == list(web.export.COLUMNS)


async def test_csv_cells_a_spreadsheet_would_run_are_defused(api: Api):
    who = await with_history(api)
    rows = {r["linkedid"]: r for r in await _csv(api, who["alice"], "caller=1111")}
    assert rows["h3"]["caller_name"] == "'" + FORMULA_NAME
    assert rows["h1"]["caller_number"] == "+15145551111" and rows["h1"]["caller_name"] == "Jeanne"
    assert rows["h1"]["recovered"] == "false" and rows["h1"]["answered_at"] == at(0.7)
    assert web.export.defused("-2+3") == "'-2+3" and web.export.defused("@SUM(A1)") == "'@SUM(A1)"
    assert web.export.defused("-12.5") == "-12.5" and web.export.defused("+15145551111") == "+15145551111"


async def test_the_window_hides_older_calls_from_the_client_only(api: Api):
    who = await with_history(api)
    assert (await api.client.get("/api/calls/old", headers=who["alice"])).status == 404
    assert (await api.client.get("/api/calls/old", headers=who["root"])).status == 200
    assert (await api.client.get("/api/calls/old", headers=who["sup"])).status == 200
    await api.store.write(lambda db: db.execute("UPDATE clients SET history_days = 90 WHERE code = '1000'"))
    assert (await api.client.get("/api/calls/old", headers=who["alice"])).status == 200
    assert "old" in [c["linkedid"] for c in await _json(api, who["alice"], "")]
    # Asking for earlier dates does not widen the window.
    await api.store.write(lambda db: db.execute("UPDATE clients SET history_days = 1 WHERE code = '1000'"))
    narrow = [c["linkedid"] for c in await _json(api, who["alice"], "")]
    assert not {"h1", "h2", "h3", "h4", "old"} & set(narrow)  # 1.5 days old or more
    assert [c["linkedid"] for c in await _json(api, who["alice"], "from=2000-01-01")] == narrow


async def test_a_call_in_full_with_its_ivr_path_and_timeline(api: Api):
    who = await with_history(api)
    resp = await api.client.get("/api/calls/h1", headers=who["alice"])
    call = await resp.json()
    assert (call["queue"], call["agent"], call["wait_s"], call["talk_s"], call["hangup_side"]) == (
        "1000-accueil", "201", 12.0, 90.0, "caller")
    assert [(s["node"], s["digit"]) for s in call["ivr_path"]] == [("lang", "1"), ("main", "1")]
    assert [(e["kind"], e["detail"]) for e in call["timeline"]] == [("start", {}), ("queue", {"queue": "1000-accueil"})]


async def test_pages_are_stable_when_calls_arrive_between_them(api: Api):
    who = await with_history(api)
    first = await (await api.client.get("/api/calls?limit=3", headers=who["alice"])).json()
    await api.store.write(lambda db: calls.save_call(db, CallRecord(
        linkedid="new", client_code="1000", started_at=iso(datetime.now(UTC)), disposition="answered")))
    rest = await _json(api, who["alice"], "", cursor=first["next_cursor"])
    assert [c["linkedid"] for c in first["calls"] + rest] == ALICE_IDS


@pytest.mark.parametrize(("query", "parameter"), [
    ("limit=0", "limit"), ("limit=x", "limit"), ("limit=501", "limit"), ("limit=-1", "limit"), ("limit=1.5", "limit"),
    ("cursor=%%%", "cursor"), ("cursor=bm90IGpzb24", "cursor"), ("from=yesterday", "from"), ("to=2026-13-01", "to"),
    ("from=2026-02-02&to=2026-02-01", "to"), ("did=abc", "did"), ("disposition=lost", "disposition"),
    ("disposition=answered,lost", "disposition"), ("has_recording=maybe", "has_recording"),
    ("format=xml", "format"), ("client=12", "client"), ("client=1000x", "client"), ("queue=" + "q" * 65, "queue"),
    ("dispositon=answered", "dispositon"), ("queue=a&queue=b", "queue"), ("limit=5&limit=6", "limit"),
])
async def test_bad_values_are_400_naming_the_parameter(api: Api, query: str, parameter: str):
    who = await with_history(api)
    resp = await api.client.get(f"/api/calls?{query}", headers=who["alice"])
    assert resp.status == 400, query
    body = await resp.json()
    assert body["parameter"] == parameter and body["error"].startswith(f"{parameter}: "), body
    csv_resp = await api.client.get(f"/api/calls?{query}", headers={**who["alice"], "Accept": "text/csv"})
    assert csv_resp.status == 400  # checked before the export starts


EVIL = ["' OR '1'='1", "1000' --", "\"; DROP TABLE calls; --", "%", "_", "\\", "%' OR 1=1 --", "\x00",
        "1 UNION SELECT login, password_hash FROM users"]


@pytest.mark.parametrize("evil", EVIL)
async def test_sql_metacharacters_in_every_filter_are_harmless(api: Api, evil: str):
    who = await with_history(api)
    for name in ("from", "to", "client", "did", "caller", "disposition", "queue", "agent", "has_recording",
                 "limit", "cursor", "format"):
        for fmt in ("json", "csv"):
            resp = await api.client.get("/api/calls", params={name: evil, "format": fmt} if name != "format"
                                        else {name: evil}, headers=who["alice"])
            assert resp.status in (200, 400), (name, evil, resp.status)
            if resp.status == 400:
                assert (await resp.json())["parameter"] == name
            elif fmt == "json":
                assert (await resp.json())["calls"] == [], (name, evil)  # matched literally: nothing
            else:
                assert len((await resp.text()).splitlines()) == 1, (name, evil)  # the header row only
    assert [c["linkedid"] for c in await _json(api, who["alice"], "")] == ALICE_IDS
