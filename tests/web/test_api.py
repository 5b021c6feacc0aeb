from __future__ import annotations

from store import users
from store.clock import now_iso

from .conftest import PASSWORDS, Api


async def test_api_login_gives_a_bearer_token_and_no_cookie(api: Api):
    resp = await api.client.post("/api/login", json={"login": "alice", "password": PASSWORDS["alice"]})
    assert resp.status == 200
    body = await resp.json()
    assert body["role"] == "client" and body["client_code"] == "1000" and len(body["token"]) > 30
    assert "Set-Cookie" not in resp.headers  # browsers log in through POST /api/session
    assert (await api.client.get("/api/session")).status == 401
    resp = await api.client.get("/api/session", headers={"Authorization": f"Bearer {body['token']}"})
    assert await resp.json() == {"login": "alice", "role": "client", "client_code": "1000", "agent_id": None,
                                 "auth": "bearer", "csrf_token": None, "expires_at": body["expires_at"]}


async def test_bad_logins(api: Api):
    for body in ({"login": "alice", "password": "nope"}, {"login": "ghost", "password": "x"}):
        resp = await api.client.post("/api/login", json=body)
        assert resp.status == 401
        assert await resp.json() == {"error": "invalid login or password"}
    resp = await api.client.post("/api/login", data=b"{not json")
    assert resp.status == 400 and "JSON" in (await resp.json())["error"]
    resp = await api.client.post("/api/login", json={"login": 3})
    assert resp.status == 400


async def test_api_needs_a_valid_token(api: Api):
    assert (await api.client.get("/api/calls")).status == 401
    resp = await api.client.get("/api/calls", headers={"Authorization": "Bearer forged"})
    assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_expired_and_revoked_tokens_are_refused(api: Api):
    token = await api.token("alice")
    await api.store.write(lambda db: db.execute("UPDATE tokens SET expires_at = ?", ["2000-01-01T00:00:00.000Z"]))
    assert (await api.client.get("/api/calls", headers={"Authorization": f"Bearer {token}"})).status == 401
    token = await api.token("alice")
    await api.store.write(lambda db: users.set_password(db, "alice", "scrypt$x"))
    assert (await api.client.get("/api/calls", headers={"Authorization": f"Bearer {token}"})).status == 401
    assert now_iso() > "2000"


async def test_calls_are_the_clients_own_newest_first_with_keyset_pages(api: Api):
    resp = await api.get("/api/calls?limit=2", "alice")
    page = await resp.json()
    assert [c["linkedid"] for c in page["calls"]] == ["1700000020.1", "1700000010.1"]
    assert page["next_cursor"]
    resp = await api.get(f"/api/calls?limit=2&cursor={page['next_cursor']}", "alice")
    page2 = await resp.json()
    assert [c["linkedid"] for c in page2["calls"]] == ["1700000000.1"] and page2["next_cursor"] is None
    bob = await (await api.get("/api/calls", "bob")).json()
    assert [c["linkedid"] for c in bob["calls"]] == ["1800000000.1"]
    admin = await (await api.get("/api/calls", "root")).json()
    assert len(admin["calls"]) == 4


async def test_bad_query_parameters_are_400(api: Api):
    for query in ("limit=0", "limit=x", "limit=100000", "cursor=%%%", "cursor=bm90IGpzb24"):
        resp = await api.get(f"/api/calls?{query}", "alice")
        assert resp.status == 400, query
        assert "error" in await resp.json()


async def test_another_clients_call_and_recording_are_404(api: Api):
    alice_call = (await (await api.get("/api/calls", "alice")).json())["calls"][0]
    rec_id = alice_call["recordings"][0]["id"]
    assert (await api.get(f"/api/calls/{alice_call['linkedid']}", "alice")).status == 200
    for path in (f"/api/calls/{alice_call['linkedid']}", f"/api/recordings/{rec_id}", "/api/calls/nope",
                 "/api/recordings/99999", "/api/recordings/abc"):
        resp = await api.get(path, "bob")
        assert resp.status == 404, path
        assert (await resp.json())["error"].endswith("not found")


async def test_recording_download_range_and_conditional(api: Api):
    call = (await (await api.get("/api/calls", "alice")).json())["calls"][0]
    rec_id = call["recordings"][0]["id"]
    full = await api.get(f"/api/recordings/{rec_id}", "alice")
    assert full.status == 200 and full.headers["Content-Type"] == "audio/wav"
    assert f'filename="1000-{call["linkedid"]}.wav"' in full.headers["Content-Disposition"]
    body = await full.read()
    assert body[:4] == b"RIFF"
    part = await api.get(f"/api/recordings/{rec_id}", "alice", headers={"Range": "bytes=10-19"})
    assert part.status == 206 and await part.read() == body[10:20]
    etag = full.headers["ETag"]
    again = await api.get(f"/api/recordings/{rec_id}", "alice", headers={"If-None-Match": etag})
    assert again.status == 304


async def test_a_recording_whose_file_is_gone_is_410(api: Api):
    call = (await (await api.get("/api/calls", "alice")).json())["calls"][0]
    for f in api.recordings.rglob(f"{call['linkedid']}.wav"):
        f.unlink()
    resp = await api.get(f"/api/recordings/{call['recordings'][0]['id']}", "alice")
    assert resp.status == 410


async def test_healthz_reports_each_check(api: Api):
    resp = await api.client.get("/healthz")
    assert resp.status == 200 and (await resp.json())["checks"] == {"store": True, "ami": True}
    api.health["ami"] = False
    resp = await api.client.get("/healthz")
    assert resp.status == 503 and (await resp.json())["checks"]["ami"] is False


async def test_a_purged_recording_is_410(api: Api):
    call = (await (await api.get("/api/calls", "alice")).json())["calls"][0]
    rec_id = call["recordings"][0]["id"]
    await api.store.write(lambda db: db.execute("UPDATE recordings SET purged_at = '2026-01-01T00:00:00.000Z' "
                                                "WHERE id = ?", [rec_id]))
    resp = await api.get(f"/api/recordings/{rec_id}", "alice")
    assert resp.status == 410  # the file is still on disk: the row says it was purged


async def test_the_live_view_streams_snapshots_to_admins_only(tmp_path):
    import asyncio
    import json

    from aiohttp.test_utils import TestClient, TestServer

    from ami.live import LiveState
    from store import Store, clients, users
    from store.passwords import hash_password
    from web import make_app

    store = Store(tmp_path / "live.sqlite3")
    store.open()
    await store.write(lambda db: (clients.add_client(db, "1000", "A"),
                                  users.add_user(db, "root", hash_password("root-secret-3", log2_n=10), "admin"),
                                  users.add_user(db, "alice", hash_password("alice-secret-1", log2_n=10), "client",
                                                 "1000")))
    live = LiveState()
    client = TestClient(TestServer(make_app(store, tmp_path, live=live)))
    await client.start_server()
    try:
        async def token(login: str, password: str) -> dict[str, str]:
            resp = await client.post("/api/login", json={"login": login, "password": password})
            return {"Authorization": f"Bearer {(await resp.json())['token']}"}

        assert (await client.get("/api/live", headers=await token("alice", "alice-secret-1"))).status == 404
        resp = await client.get("/api/live", headers=await token("root", "root-secret-3"))
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")

        async def next_snapshot() -> dict:
            while True:
                line = await asyncio.wait_for(resp.content.readline(), 5)
                if line.startswith(b"data: "):
                    return json.loads(line[6:])

        assert (await next_snapshot())["calls"] == []
        live.feed({"Event": "Newchannel", "Linkedid": "9.1", "Uniqueid": "9.1", "CallerIDNum": "5145551234"}, "t")
        assert [c["linkedid"] for c in (await next_snapshot())["calls"]] == ["9.1"]
        resp.close()
    finally:
        await client.close()
        store.close()
