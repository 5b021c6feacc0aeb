"""The script on a call over HTTP, on a real store and the listener's real screen pops: the agent the call
reached reads the client's questions pre-filled and in the caller's language, and takes the answers as
the call's message; another agent, another client's call, the client, a supervisor, an admin get 404;
every bad answer is named; a browser session needs its CSRF token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ami.live import LiveState
from ami.screenpop import ScreenPops
from store import CallRecord, Store, agents, callers, calls, clients, messages, users
from store import scripts as store_scripts
from store.ivr_path import IvrStep, add_steps
from tests.callscript.sample import SCRIPT
from web import hash_password, make_app

PASSWORD = "script-secret-1"
CALL = "1796000000.1"  # client 1000's caller reaches agent 101 through the queue
OTHER = "1796000000.7"  # client 2000's call, transferred to agent 101 (no store row yet: the pop says whose)
CALLER = "+15145551234"
SHORT = {"questions": [{"key": "name", "text": {"en": "Name"}, "type": "text", "required": True},
                       {"key": "reason", "text": {"en": "Reason"}, "type": "long_text"}]}


@dataclass
class Desk:
    client: TestClient
    store: Store

    async def token(self, login: str) -> dict[str, str]:
        resp = await self.client.post("/api/login", json={"login": login, "password": PASSWORD})
        assert resp.status == 200
        return {"Authorization": f"Bearer {(await resp.json())['token']}"}


def _seed(db) -> None:
    clients.add_client(db, "1000", "Plomberie", language="fr")
    clients.add_client(db, "2000", "Garage", language="en")
    for agent in ("101", "102"):
        agents.add_agent(db, agent, f"Agent {agent}", "sip-secret-123", "permanence")
    for login, role, code, agent in (("ann", "agent", None, "101"), ("ben", "agent", None, "102"),
                                     ("sup", "supervisor", None, None), ("alice", "client", "1000", None),
                                     ("bob", "client", "2000", None), ("root", "admin", None, None)):
        users.add_user(db, login, hash_password(PASSWORD, log2_n=10), role, code, agent)
    store_scripts.set_script(db, "1000", SCRIPT)
    store_scripts.set_script(db, "2000", SHORT)
    # The caller's earlier call and message; this call's caller record (the dnis route) and IVR choice.
    calls.save_call(db, CallRecord(linkedid="1795000000.1", client_code="1000", started_at="2026-11-01T10:00:00Z",
                                   disposition="answered", caller_number="5145551234", agent="102"))
    messages.create_message(db, "1000", "ben", linkedid="1795000000.1", fields={
        "name": "Jeanne Roy", "nature": "quote", "email": "jeanne@example.com"})
    callers.touch_caller(db, "1000", CALLER, None, CALL, "2026-12-01T09:59:00Z")
    add_steps(db, CALL, [IvrStep("2026-12-01T09:59:01Z", "plomberie", "langue", "language", "2", "choice 2 -> en")])


@pytest.fixture
async def desk(tmp_path) -> AsyncIterator[Desk]:
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    await store.write(_seed)
    live = LiveState()
    pops = ScreenPops(store, live, "CA")
    client = TestClient(TestServer(make_app(store, tmp_path / "rec", pops=pops, live=live)))
    await client.start_server()
    for event in (
            {"Event": "AgentConnect", "Linkedid": CALL, "Queue": "accueil", "Interface": "PJSIP/101",
             "CallerIDNum": "5145551234", "DestChannel": "PJSIP/101-0000000a"},
            {"Event": "Newchannel", "Linkedid": OTHER, "Uniqueid": OTHER, "CallerIDNum": "4165550001"},
            {"Event": "UserEvent", "UserEvent": "PermanenceCall", "Linkedid": OTHER, "Client": "2000",
             "DID": "+14165550199", "Menu": "garage"},
            {"Event": "BridgeEnter", "Linkedid": OTHER, "Uniqueid": "1796000000.8", "Channel": "PJSIP/101-0000000b",
             "BridgeUniqueid": "b-1"}):
        live.feed(event, "2026-12-01T10:00:00Z")
        pops.feed(event, "2026-12-01T10:00:00Z")
    await pops.drain()
    try:
        yield Desk(client, store)
    finally:
        await client.close()
        store.close()


async def test_the_agent_reads_the_script_prefilled_in_the_callers_language(desk):
    ann = await desk.token("ann")
    resp = await desk.client.get(f"/api/calls/{CALL}/script", headers=ann)
    assert resp.status == 200
    form = await resp.json()
    assert (form["client_code"], form["language"]) == ("1000", "en")  # the caller chose English in the IVR
    assert [q["key"] for q in form["questions"]] == [q["key"] for q in SCRIPT["questions"]]
    assert form["prefill"] == {"name": "Jeanne Roy", "callback": CALLER, "nature": "quote",
                               "email": "jeanne@example.com"}
    assert form["messages"] == []


async def test_the_answers_become_the_calls_message_seen_by_its_client_alone(desk):
    ann = await desk.token("ann")
    url = f"/api/calls/{CALL}/script"
    resp = await desk.client.post(url, json={"answers": {
        "name": "Jeanne Roy", "callback": "514 555 1234", "nature": "leak", "running": "yes", "rooms": "2,5",
        "email": "hidden@example.com", "notes": "Sous l'évier"}}, headers=ann)
    assert resp.status == 201, await resp.text()
    message = await resp.json()
    assert message["fields"] == {"name": "Jeanne Roy", "callback": CALLER, "nature": "leak", "running": True,
                                 "rooms": 2.5, "notes": "Sous l'évier"}  # email: hidden for a leak, dropped
    assert (message["linkedid"], message["client_code"], message["created_by"]) == (CALL, "1000", "ann")
    assert message["text"].startswith("Nom de l'appelant : Jeanne Roy\n")  # the client's language
    assert resp.headers["Location"] == f"/api/messages/{message['id']}"
    form = await (await desk.client.get(url, headers=ann)).json()
    assert form["messages"] == [message["id"]]  # the form opened again says it was taken
    listed = await (await desk.client.get(f"/api/messages?linkedid={CALL}", headers=await desk.token("alice"))).json()
    assert [m["id"] for m in listed["messages"]] == [message["id"]]
    assert (await desk.client.get(f"/api/messages/{message['id']}", headers=await desk.token("bob"))).status == 404
    # The call transferred from client 2000: its own script, its own message.
    form = await (await desk.client.get(f"/api/calls/{OTHER}/script", headers=ann)).json()
    assert (form["client_code"], form["language"], form["prefill"]) == ("2000", "en", {})
    assert [q["key"] for q in form["questions"]] == ["name", "reason"]
    resp = await desk.client.post(f"/api/calls/{OTHER}/script", json={"answers": {"name": "Sam"}}, headers=ann)
    assert resp.status == 201 and (await resp.json())["client_code"] == "2000"


async def test_bad_answers_are_each_named_and_nothing_is_taken(desk):
    ann = await desk.token("ann")
    url = f"/api/calls/{CALL}/script"
    resp = await desk.client.post(url, json={"answers": {"name": "", "callback": "12", "nature": "leak",
                                                         "colour": "red"}}, headers=ann)
    assert resp.status == 400
    body = await resp.json()
    assert body["errors"] == {"colour": "no such question in this script", "name": "required",
                              "callback": "not a possible phone number: '12'", "running": "required"}
    assert body["field"] == "colour" and body["error"] == "colour: no such question in this script"
    assert body["kinds"] == {"colour": "unknown", "name": "required", "callback": "phone", "running": "required"}
    for sent, field_name in (({"answers": ["x"]}, "answers"), ({"answers": {}, "more": 1}, "more"),
                             ({"answers": {}}, "name"), ({"answers": {"rooms": [1]}}, "name")):
        resp = await desk.client.post(url, json=sent, headers=ann)
        assert resp.status == 400 and (await resp.json())["field"] == field_name, sent
    rows = await desk.store.read(lambda db: messages.list_messages(db, messages.Scope.everything(), linkedid=CALL))
    assert rows == []


async def test_a_call_that_did_not_reach_the_agent_is_404_for_everyone_else(desk):
    for login in ("ben", "alice", "bob", "sup", "root"):
        headers = await desk.token(login)
        for linkedid in (CALL, OTHER):
            url = f"/api/calls/{linkedid}/script"
            assert (await desk.client.get(url, headers=headers)).status == 404, (login, linkedid)
            resp = await desk.client.post(url, json={"answers": {"name": "X"}}, headers=headers)
            assert resp.status == 404, (login, linkedid)
    ann = await desk.token("ann")
    for linkedid in ("1795000000.1", "1799999999.1", "nope"):  # ben's earlier call; no call; not an id
        assert (await desk.client.get(f"/api/calls/{linkedid}/script", headers=ann)).status == 404
        resp = await desk.client.post(f"/api/calls/{linkedid}/script", json={"answers": {"name": "X"}}, headers=ann)
        assert resp.status == 404
    assert (await desk.client.get(f"/api/calls/{CALL}/script")).status == 401


async def test_a_browser_session_sends_its_csrf_token(desk):
    resp = await desk.client.post("/api/session", json={"login": "ann", "password": PASSWORD})
    csrf = (await resp.json())["csrf_token"]
    url = f"/api/calls/{OTHER}/script"
    assert (await desk.client.get(url)).status == 200  # reading needs no token
    resp = await desk.client.post(url, json={"answers": {"name": "Sam"}})
    assert resp.status == 403 and "CSRF token missing" in (await resp.json())["error"]
    assert (await desk.client.post(url, json={"answers": {"name": "Sam"}}, headers={"X-CSRF-Token": "x"})).status == 403
    resp = await desk.client.post(url, json={"answers": {"name": "Sam"}}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 201
