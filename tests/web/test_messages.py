"""The messages API: who may take a message (admins, agents), who reads which (their client only:
404 across tenants), bad bodies named, the dispatch protocols, and the SMS gateway's shared token."""

from __future__ import annotations

from store import calls, contacts
from store.calls import CallRecord

from .conftest import Api


async def _headers(api: Api, login: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await api.token(login)}"}


async def _post(api: Api, login: str, body: object):
    return await api.client.post("/api/messages", json=body, headers=await _headers(api, login))


async def test_an_admin_takes_a_message_that_its_client_reads_with_its_history(api: Api) -> None:
    resp = await _post(api, "root", {"client_code": "1000", "linkedid": "1700000000.1",
                                     "fields": {"name": "M. Tremblay", "callback": "514-555-0111", "urgent": True}})
    assert resp.status == 201, await resp.text()
    message = await resp.json()
    assert resp.headers["Location"] == f"/api/messages/{message['id']}"
    assert message["text"] == "name: M. Tremblay\ncallback: 514-555-0111\nurgent: True"  # made of the fields
    assert (message["status"], message["created_by"], message["linkedid"]) == ("pending", "root", "1700000000.1")
    assert [s["channel"] for s in message["steps"]] == ["sms", "phone", "email", "alert"]  # the default protocol
    detail = await api.client.get(f"/api/messages/{message['id']}", headers=await _headers(api, "alice"))
    assert detail.status == 200
    assert (await detail.json())["history"] == [] and (await detail.json())["fields"]["urgent"] is True
    listed = await api.client.get("/api/messages", headers=await _headers(api, "alice"))
    assert [m["id"] for m in (await listed.json())["messages"]] == [message["id"]]


async def test_another_client_reaches_nothing_of_it(api: Api) -> None:
    first = await (await _post(api, "root", {"client_code": "1000", "text": "Rappeler M. Tremblay"})).json()
    other = await (await _post(api, "root", {"client_code": "2000", "text": "Call Mrs Smith back"})).json()
    bob = await _headers(api, "bob")
    for path in (f"/api/messages/{first['id']}", "/api/messages?client=1000", "/api/dispatch/protocols/1000",
                 "/api/messages/99999", "/api/messages/abc"):
        resp = await api.client.get(path, headers=bob)
        assert resp.status == 404, path
        assert "1000" not in (await resp.json())["error"]
    listed = await (await api.client.get("/api/messages", headers=bob)).json()
    assert [m["id"] for m in listed["messages"]] == [other["id"]]
    everything = await (await api.client.get("/api/messages", headers=await _headers(api, "root"))).json()
    assert [m["id"] for m in everything["messages"]] == [other["id"], first["id"]]  # newest first


async def test_only_admins_and_agents_take_messages(api: Api) -> None:
    resp = await _post(api, "alice", {"client_code": "1000", "text": "x"})
    assert resp.status == 404
    ack = await api.client.post("/api/messages/1/acknowledge", headers=await _headers(api, "alice"))
    assert ack.status == 404


async def test_bad_bodies_name_what_is_wrong_and_store_nothing(api: Api) -> None:
    await api.store.write(lambda db: calls.save_call(db, CallRecord(
        linkedid="1800000001.5", client_code="2000", started_at="2026-01-01T10:00:00.000Z", disposition="answered")))
    cases = [
        ({"client_code": "9999", "text": "x"}, "client_code"),
        ({"client_code": "1000"}, "text"),
        ({"client_code": "1000", "text": "x", "colour": "red"}, "colour"),
        ({"client_code": "1000", "text": "x", "linkedid": "not-a-call"}, "linkedid"),
        ({"client_code": "1000", "text": "x", "linkedid": "1800000001.5"}, "linkedid"),  # client 2000's call
        ({"client_code": "1000", "fields": {"name": {"nested": 1}}}, "fields"),
        ({"client_code": "1000", "text": "x" * 2001}, "text"),
    ]
    for body, field in cases:
        resp = await _post(api, "root", body)
        assert resp.status == 400, body
        answer = await resp.json()
        assert answer["field"] == field and answer["error"].startswith(field), (body, answer)
    not_json = await api.client.post("/api/messages", data="{", headers={**await _headers(api, "root"),
                                                                          "Content-Type": "application/json"})
    assert not_json.status == 400
    listed = await (await api.client.get("/api/messages", headers=await _headers(api, "root"))).json()
    assert listed["messages"] == []
    bad_query = await api.client.get("/api/messages?status=lost", headers=await _headers(api, "root"))
    assert bad_query.status == 400 and (await bad_query.json())["parameter"] == "status"


async def test_protocols_are_read_by_their_client_and_changed_by_admins(api: Api) -> None:
    contact = await api.store.write(lambda db: contacts.add_contact(db, "1000", "Paul", email="paul@example.org"))
    alice, root = await _headers(api, "alice"), await _headers(api, "root")
    default = await (await api.client.get("/api/dispatch/protocols/1000", headers=alice)).json()
    assert default["default"] is True and default["steps"][0] == {"channel": "sms", "to": "on_call", "wait_s": 300,
                                                                   "code_length": 4}
    refused = await api.client.put("/api/dispatch/protocols/1000", json={"steps": []}, headers=alice)
    assert refused.status == 404
    for steps, field in (([{"channel": "fax", "to": "on_call", "wait_s": 5}], "channel"),
                         ([{"channel": "sms", "to": "on_call", "wait_s": 0}], "wait_s"),
                         ([{"channel": "sms", "to": "on_call", "wait_s": 5, "code_length": 5}], "code_length"),
                         ([{"channel": "email", "to": 4242, "wait_s": 5}], "to"),
                         ([{"channel": "alert"}, {"channel": "sms", "to": "on_call", "wait_s": 5}], "channel")):
        resp = await api.client.put("/api/dispatch/protocols/1000", json={"steps": steps}, headers=root)
        assert resp.status == 400, steps
        answer = await resp.json()
        assert answer["field"] == field and "step " in answer["error"], answer
    good = [{"channel": "sms", "to": "on_call", "wait_s": 120, "code_length": 2},
            {"channel": "email", "to": contact.id, "wait_s": 600}]
    kept = await api.client.put("/api/dispatch/protocols/1000", json={"steps": good}, headers=root)
    assert kept.status == 200
    assert (await kept.json())["steps"] == [*good, {"channel": "alert"}]
    assert (await (await api.client.get("/api/dispatch/protocols/1000", headers=alice)).json())["default"] is False
    unknown = await api.client.put("/api/dispatch/protocols/9999", json={"steps": good}, headers=root)
    assert unknown.status == 404


async def test_the_sms_gateways_route_wants_its_secret(api: Api) -> None:
    # No token configured: the route answers like one that does not exist, whatever is given.
    for query in ("", "?token=&from=%2B15145550123&text=ABCD", "?token=guess&from=%2B15145550123&text=ABCD"):
        resp = await api.client.get(f"/api/sms/inbound{query}")
        assert resp.status == 404, query


async def test_an_agent_takes_messages_only_on_calls_that_reached_them(api: Api) -> None:
    from store import agents, desk, users
    from web import hash_password

    def seed(db) -> None:
        agents.add_agent(db, "101", "Alice Agent", "agent-101-secret", "permanence")
        users.add_user(db, "agent101", hash_password("agent-101-password", log2_n=10), "agent", agent_id="101")
        desk.record_pop(db, "1700000000.7", "101", "2026-01-01T10:00:00.000Z")

    await api.store.write(seed)
    resp = await api.client.post("/api/login", json={"login": "agent101", "password": "agent-101-password"})
    headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    taken = await api.client.post("/api/messages", headers=headers, json={
        "client_code": "1000", "linkedid": "1700000000.7", "fields": {"name": "M. Tremblay"}})
    assert taken.status == 201 and (await taken.json())["created_by"] == "agent101"
    elsewhere = await api.client.post("/api/messages", headers=headers, json={
        "client_code": "1000", "linkedid": "1700000000.8", "text": "x"})
    assert elsewhere.status == 404
    without = await api.client.post("/api/messages", headers=headers, json={"client_code": "1000", "text": "x"})
    assert without.status == 400 and (await without.json())["field"] == "linkedid"
    listed = await (await api.client.get("/api/messages", headers=await _headers(api, "root"))).json()
    assert len(listed["messages"]) == 1


async def test_a_client_reads_its_messages_of_its_history_window_only(api: Api) -> None:
    from store import messages

    old = await api.store.write(lambda db: messages.create_message(db, "1000", "root", text="old",
                                                                   at="2020-01-01T10:00:00.000Z"))
    new = await (await _post(api, "root", {"client_code": "1000", "text": "new"})).json()
    alice = await _headers(api, "alice")
    listed = await (await api.client.get("/api/messages", headers=alice)).json()
    assert [m["id"] for m in listed["messages"]] == [new["id"]]
    assert (await api.client.get(f"/api/messages/{old.id}", headers=alice)).status == 404
    staff = await api.client.get(f"/api/messages/{old.id}", headers=await _headers(api, "root"))
    assert staff.status == 200
