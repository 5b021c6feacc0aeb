"""The desk's routes over a real store and the listener's real screen pops: who may stream, wrap up and
supervise, what a refusal says, and that a browser session needs its CSRF token.

The originator stands in for Asterisk here (what it is asked to send is checked); the real Originate
and ChanSpy are in tests/e2e/test_desk.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ami.live import LiveState
from ami.screenpop import ScreenPops
from store import CallRecord, Store, agents, calls, clients, users
from web import hash_password, make_app

PASSWORD = "desk-secret-1"
LINKEDID = "1796000000.1"
CONNECT = {"Event": "AgentConnect", "Linkedid": LINKEDID, "Queue": "accueil", "Interface": "PJSIP/101",
           "CallerIDNum": "5145551234", "DestChannel": "PJSIP/101-0000000a"}


@dataclass
class Originated:
    calls: list[tuple[str, str, str, str]] = field(default_factory=list)

    async def spy(self, phone: str, agent: str, channel: str, mode: str) -> None:
        self.calls.append((phone, agent, channel, mode))


@dataclass
class Desk:
    client: TestClient
    store: Store
    pops: ScreenPops
    originated: Originated

    async def token(self, login: str) -> dict[str, str]:
        resp = await self.client.post("/api/login", json={"login": login, "password": PASSWORD})
        assert resp.status == 200
        return {"Authorization": f"Bearer {(await resp.json())['token']}"}


def _seed(db) -> None:
    clients.add_client(db, "1000", "Alice Co")
    for agent in ("101", "102", "109"):
        agents.add_agent(db, agent, f"Agent {agent}", "sip-secret-123", "permanence")
    for login, role, code, agent in (("ann", "agent", None, "101"), ("ben", "agent", None, "102"),
                                     ("sup", "supervisor", None, "109"), ("nophone", "supervisor", None, None),
                                     ("alice", "client", "1000", None), ("root", "admin", None, None)):
        users.add_user(db, login, hash_password(PASSWORD, log2_n=10), role, code, agent)
    calls.save_call(db, CallRecord(linkedid="1795000000.1", client_code="1000", started_at="2026-11-01T10:00:00Z",
                                   disposition="answered", agent="102"))


@pytest.fixture
async def desk(tmp_path) -> AsyncIterator[Desk]:
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    await store.write(_seed)
    pops, originated = ScreenPops(store, LiveState(), "CA"), Originated()
    client = TestClient(TestServer(make_app(store, tmp_path / "rec", pops=pops, originator=originated)))
    await client.start_server()
    try:
        yield Desk(client, store, pops, originated)
    finally:
        await client.close()
        store.close()


async def _pop(desk: Desk) -> None:
    desk.pops.feed(CONNECT, "2026-12-01T10:00:00Z")
    await desk.pops.drain()


async def test_the_agents_stream_is_theirs_alone(desk):
    await _pop(desk)
    resp = await desk.client.get("/api/agent/events", headers=await desk.token("ann"))
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
    first = (await resp.content.readuntil(b"\n\n")).decode()
    assert first.startswith("id: ") and "event: pop" in first and f'"linkedid": "{LINKEDID}"' in first
    resp.close()
    resp = await desk.client.get("/api/agent/events", headers=await desk.token("ben"))
    assert (await resp.content.readuntil(b"\n\n")) == b": ready\n\n"  # 102 is on no call
    resp.close()
    for login in ("sup", "alice", "root"):
        assert (await desk.client.get("/api/agent/events", headers=await desk.token(login))).status == 404
    assert (await desk.client.get("/api/agent/events")).status == 401


async def test_a_wrap_up_is_the_answering_agents_and_checked(desk):
    await _pop(desk)
    ann = await desk.token("ann")
    url = f"/api/calls/{LINKEDID}/wrapup"
    resp = await desk.client.post(url, json={"code": "message_taken", "notes": "  Fuite  "}, headers=ann)
    assert resp.status == 200
    assert (await resp.json())["notes"] == "Fuite" and (await resp.json())["agent_id"] == "101"
    for body, field_name in (({"code": "nope"}, "code"), ({"notes": "x"}, "code"),
                             ({"code": "other", "notes": "x" * 4001}, "notes"),
                             ({"code": "other", "extra": 1}, "extra")):
        resp = await desk.client.post(url, json=body, headers=ann)
        assert resp.status == 400 and (await resp.json())["field"] == field_name, body
    # Nobody else's: the other agent, the client, the supervisor, an admin; nor a call ann never had.
    for login in ("ben", "alice", "sup", "root"):
        resp = await desk.client.post(url, json={"code": "other"}, headers=await desk.token(login))
        assert resp.status == 404, login
    assert (await desk.client.post("/api/calls/1795000000.1/wrapup", json={"code": "other"}, headers=ann)).status == 404
    # The call's row once written: ann reads it with her wrap-up; ben does not see it.
    await desk.store.write(lambda db: calls.save_call(db, CallRecord(
        linkedid=LINKEDID, client_code="1000", started_at="2026-12-01T09:59:00Z", disposition="answered",
        agent="101")))
    call = await (await desk.client.get(f"/api/calls/{LINKEDID}", headers=ann)).json()
    assert call["wrapup"]["code"] == "message_taken" and call["wrapup"]["login"] == "ann"
    assert (await desk.client.get(f"/api/calls/{LINKEDID}", headers=await desk.token("ben"))).status == 404
    ben_calls = await (await desk.client.get("/api/calls", headers=await desk.token("ben"))).json()
    assert [c["linkedid"] for c in ben_calls["calls"]] == ["1795000000.1"]
    assert (await desk.client.get("/api/stats", headers=ann)).status == 404


async def test_a_browser_session_sends_its_csrf_token(desk):
    await _pop(desk)
    resp = await desk.client.post("/api/session", json={"login": "ann", "password": PASSWORD})
    csrf = (await resp.json())["csrf_token"]
    url = f"/api/calls/{LINKEDID}/wrapup"
    resp = await desk.client.post(url, json={"code": "other"})
    assert resp.status == 403 and "CSRF token missing" in (await resp.json())["error"]
    resp = await desk.client.post(url, json={"code": "other"}, headers={"X-CSRF-Token": "wrong"})
    assert resp.status == 403
    resp = await desk.client.post(url, data={"code": "complaint", "notes": "form", "csrf_token": csrf})
    assert resp.status == 200 and (await resp.json())["code"] == "complaint"
    resp = await desk.client.post("/api/supervise", json={"agent": "101", "mode": "listen"},
                                  headers={"X-CSRF-Token": csrf})
    assert resp.status == 404  # an agent, even with the right token, is not a supervisor


async def test_a_supervisor_listens_from_their_own_phone(desk):
    sup = await desk.token("sup")
    resp = await desk.client.post("/api/supervise", json={"agent": "101", "mode": "listen"}, headers=sup)
    assert resp.status == 409 and "not on a call" in (await resp.json())["error"]
    await _pop(desk)
    for body, field_name in (({"agent": "101", "mode": "record"}, "mode"),
                             ({"agent": "1;2", "mode": "listen"}, "agent"),
                             ({"agent": "101", "mode": "listen", "phone": "102"}, "phone")):
        resp = await desk.client.post("/api/supervise", json=body, headers=sup)
        assert resp.status == 400 and (await resp.json())["field"] == field_name
    resp = await desk.client.post("/api/supervise", json={"agent": "101", "mode": "barge"}, headers=sup)
    assert resp.status == 202
    assert await resp.json() == {"agent": "101", "mode": "barge", "phone": "109", "channel": "PJSIP/101-0000000a"}
    assert desk.originated.calls == [("109", "101", "PJSIP/101-0000000a", "barge")]
    resp = await desk.client.post("/api/supervise", json={"agent": "101", "mode": "listen"},
                                  headers=await desk.token("nophone"))
    assert resp.status == 400 and "no softphone" in (await resp.json())["error"]
    for login in ("ann", "alice"):
        resp = await desk.client.post("/api/supervise", json={"agent": "101", "mode": "listen"},
                                      headers=await desk.token(login))
        assert resp.status == 404
    assert len(desk.originated.calls) == 1
