"""GET /api/recordings/{id}: every access audited; GET /api/recordings/access: the audit, for admins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from store.audit import Access
from store.clock import iso, now_iso
from web.recordings import AuditLog

from .conftest import Api
from .history_data import with_history


async def _recording_ids(api: Api, headers: dict) -> list[int]:
    calls = (await (await api.client.get("/api/calls?has_recording=true", headers=headers)).json())["calls"]
    return [c["recordings"][0]["id"] for c in calls]


async def _audit(api: Api, headers: dict, query: str = "") -> dict:
    await api.store.flush()  # the audit row is queued behind the answer
    resp = await api.client.get(f"/api/recordings/access?{query}", headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_every_access_is_audited_with_status_and_bytes(api: Api):
    who = await with_history(api)
    rec, other, purged = await _recording_ids(api, who["alice"])
    full = await api.client.get(f"/api/recordings/{rec}", headers=who["alice"])
    size = len(await full.read())
    assert full.status == 200 and size > 1000
    part = await api.client.get(f"/api/recordings/{rec}", headers={**who["alice"], "Range": "bytes=100-199"})
    assert part.status == 206 and len(await part.read()) == 100
    cached = await api.client.get(f"/api/recordings/{rec}",
                                  headers={**who["alice"], "If-None-Match": full.headers["ETag"]})
    assert cached.status == 304
    outside = await api.client.get(f"/api/recordings/{rec}", headers={**who["alice"], "Range": f"bytes={size + 10}-"})
    assert outside.status == 416
    head = await api.client.head(f"/api/recordings/{other}", headers=who["sup"])
    assert head.status == 200
    assert (await api.client.get(f"/api/recordings/{rec}", headers=who["bob"])).status == 404
    await api.store.write(lambda db: db.execute("UPDATE recordings SET purged_at = ? WHERE id = ?",
                                                [now_iso(), purged]))
    assert (await api.client.get(f"/api/recordings/{purged}", headers=who["alice"])).status == 410
    assert (await api.client.get("/api/recordings/99999", headers=who["alice"])).status == 404  # nothing to audit

    rows = (await _audit(api, who["root"]))["access"]
    seen = [(r["recording_id"], r["login"], r["status"], r["bytes"]) for r in rows]
    assert seen == [(purged, "alice", 410, 0), (rec, "bob", 404, 0), (other, "sup", 200, 0), (rec, "alice", 416, 0),
                    (rec, "alice", 304, 0), (rec, "alice", 206, 100), (rec, "alice", 200, size)]
    assert all(r["address"] == "127.0.0.1" and r["client_code"] == "1000" and r["at"] <= now_iso() for r in rows)


async def test_the_audit_is_filtered_and_paged(api: Api):
    who = await with_history(api)
    rec, other, _ = await _recording_ids(api, who["alice"])
    before = now_iso()
    for rid, login in ((rec, "alice"), (other, "alice"), (rec, "root"), (rec, "bob")):
        await api.client.get(f"/api/recordings/{rid}", headers=who[login])
    await api.store.flush()
    after = iso(datetime.now(UTC) + timedelta(milliseconds=1))  # `to` is exclusive
    root = who["root"]
    assert [r["login"] for r in (await _audit(api, root, f"recording={rec}"))["access"]] == ["bob", "root", "alice"]
    assert [r["recording_id"] for r in (await _audit(api, root, "login=alice"))["access"]] == [other, rec]
    assert len((await _audit(api, root, f"from={quote(before)}&to={quote(after)}&client=1000"))["access"]) == 4
    assert (await _audit(api, root, f"to={quote(before)}"))["access"] == []
    assert (await _audit(api, root, "client=2000"))["access"] == []
    first = await _audit(api, root, "limit=3")
    assert len(first["access"]) == 3 and first["next_cursor"]
    rest = await _audit(api, root, f"limit=3&cursor={first['next_cursor']}")
    assert len(rest["access"]) == 1 and rest["next_cursor"] is None
    assert [r["id"] for r in first["access"] + rest["access"]] == sorted(
        (r["id"] for r in first["access"] + rest["access"]), reverse=True)


async def test_only_admins_read_the_audit(api: Api):
    who = await with_history(api)
    for login in ("alice", "bob", "sup"):
        resp = await api.client.get("/api/recordings/access", headers=who[login])
        assert resp.status == 404, login
    assert (await api.client.get("/api/recordings/access")).status == 401


@pytest.mark.parametrize(("query", "parameter"), [
    ("recording=0", "recording"), ("recording=x", "recording"), ("recording=99999999999999999999", "recording"),
    ("login=" + "x" * 65, "login"), ("from=x", "from"), ("from=2026-02-02&to=2026-02-01", "to"), ("limit=0", "limit"),
    ("cursor=abc", "cursor"), ("client=' OR 1=1 --", "client"), ("who=me", "who"),
])
async def test_bad_audit_parameters_are_400(api: Api, query: str, parameter: str):
    who = await with_history(api)
    resp = await api.client.get(f"/api/recordings/access?{query}", headers=who["root"])
    assert resp.status == 400 and (await resp.json())["parameter"] == parameter


@pytest.mark.parametrize("evil", ["' OR '1'='1", "alice' --", "%", "\"; DELETE FROM recording_access; --"])
async def test_sql_metacharacters_in_the_audit_filters_are_harmless(api: Api, evil: str):
    who = await with_history(api)
    rec = (await _recording_ids(api, who["alice"]))[0]
    await api.client.get(f"/api/recordings/{rec}", headers=who["alice"])
    resp = await api.client.get("/api/recordings/access", params={"login": evil}, headers=who["root"])
    assert resp.status == 200 and (await resp.json())["access"] == []
    assert len((await _audit(api, who["root"]))["access"]) == 1


@pytest.mark.parametrize("odd", ["+1", "%201", "1_0", "01", "-1", "0", "1.0", "1e3", "99999999999999999999",
                                 "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "1%00", "abc"])
async def test_odd_recording_ids_are_404(api: Api, odd: str):
    who = await with_history(api)
    resp = await api.client.get(f"/api/recordings/{odd}", headers=who["root"])
    assert resp.status == 404, odd


async def test_the_download_is_named_after_the_client_and_call(api: Api):
    who = await with_history(api)
    resp = await api.client.get("/api/calls?has_recording=true&limit=1", headers=who["alice"])
    call = (await resp.json())["calls"][0]
    resp = await api.client.get(f"/api/recordings/{call['recordings'][0]['id']}", headers=who["alice"])
    assert resp.headers["Content-Disposition"] == f'attachment; filename="1000-{call["linkedid"]}.wav"'
    assert resp.headers["Accept-Ranges"] == "bytes" and resp.headers["Cache-Control"] == "private, no-store"


async def test_a_transfer_cut_short_is_audited_as_such(api: Api):
    who = await with_history(api)
    rec = (await _recording_ids(api, who["alice"]))[0]
    path = next(api.recordings.rglob("1700000020.1.wav"))
    path.write_bytes(path.read_bytes() + bytes(32 * 1024 * 1024))  # more than the sockets buffer
    reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
    writer.write(f"GET /api/recordings/{rec} HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: {who['alice']['Authorization']}\r\n\r\n".encode())
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    await reader.read(4096)
    writer.transport.abort()  # the listener hangs up
    for _ in range(100):
        await api.store.flush()
        rows = (await _audit(api, who["root"]))["access"]
        if rows:
            break
        await asyncio.sleep(0.05)
    assert [(r["status"], r["bytes"]) for r in rows] == [(499, 0)]


async def test_the_accesses_of_a_moment_reach_the_store_as_one_write_in_order(api: Api):
    who = await with_history(api)
    rec = (await _recording_ids(api, who["alice"]))[0]
    log = AuditLog(api.store, delay=0.05)
    await api.store.flush()
    batches, jobs = api.store.write_stats
    for n, login in enumerate(("alice", "bob")):
        log.add(Access(rec, login, "10.0.0.9", n, 206))
    await asyncio.sleep(0)  # another turn of the loop: still the same batch
    log.add(Access(rec, "root", "10.0.0.9", 2, 206))
    log.add(Access(999999, "root", "10.0.0.9", 0, 404))  # no such recording: no row, and no harm to the others
    await api.store.flush()
    assert api.store.write_stats[1] == jobs + 1  # nothing handed over yet: only flush's own job
    await asyncio.sleep(0.1)  # past the delay
    await api.store.flush()
    assert api.store.write_stats[1] == jobs + 3  # the four rows in one job, then flush's own
    rows = (await _audit(api, who["root"], f"recording={rec}"))["access"]
    assert [(r["login"], r["bytes"]) for r in reversed(rows[:3])] == [("alice", 0), ("bob", 1), ("root", 2)]
    assert batches < api.store.write_stats[0]


async def test_reading_the_audit_includes_every_access_answered_before(api: Api):
    who = await with_history(api)
    rec = (await _recording_ids(api, who["alice"]))[0]
    for _ in range(3):
        assert (await api.client.get(f"/api/recordings/{rec}", headers=who["alice"])).status == 200
    resp = await api.client.get(f"/api/recordings/access?recording={rec}", headers=who["root"])  # no flush here
    assert [r["status"] for r in (await resp.json())["access"]] == [200, 200, 200]
