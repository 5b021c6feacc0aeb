"""Admin API: DIDs (valid E.164, unique: 409 when owned), users (hashed passwords, revocation on a new
password, the last admin kept) and agents with their queues (the SIP password kept as its HA1 only)."""

from __future__ import annotations

import pytest

from dialplan import SIP_REALM
from store import agents, clients, users
from store.agents import sip_ha1
from store.passwords import verify_password

from .admin_support import admin_app


@pytest.fixture
async def api(tmp_path):
    async with admin_app(tmp_path) as app:
        yield app


async def test_dids_are_stored_in_e164_and_owned_once(api):
    status, did = await api.call("POST", "/api/admin/dids", {"number": "(514) 555-0100", "client": "1000",
                                                             "label": "main line"})
    assert status == 201 and did == {"did": "+15145550100", "client_code": "1000", "label": "main line"}
    status, body = await api.call("POST", "/api/admin/dids", {"number": "+1 514 555 0100", "client": "2000"})
    assert status == 409 and body["field"] == "number" and "belongs to client 1000" in body["error"]
    for bad, field in (({"number": "12345", "client": "1000"}, "number"),
                       ({"number": "+999123456", "client": "1000"}, "number"),
                       ({"number": 5145550111, "client": "1000"}, "number"),
                       ({"number": "5145550111", "client": "9999"}, "client"),
                       ({"number": "5145550111"}, "client"),
                       ({"number": "5145550111", "client": "1000", "label": "x\ny"}, "label")):
        status, body = await api.call("POST", "/api/admin/dids", bad)
        assert status == 400 and body["field"] == field, (bad, body)
    assert (await api.call("POST", "/api/admin/dids", {"number": "5145550199", "client": "2000"}))[0] == 201
    status, listed = await api.call("GET", "/api/admin/dids?client=2000", login="sup")
    assert status == 200 and [d["did"] for d in listed["dids"]] == ["+15145550199"]
    assert (await api.call("GET", "/api/admin/dids?client=12"))[0] == 400
    assert (await api.call("GET", "/api/admin/dids?owner=1000"))[0] == 400
    status, one = await api.call("GET", "/api/admin/clients/1000")
    assert one["dids"] == ["+15145550100"]


async def test_a_did_is_found_by_any_form_moved_and_removed(api):
    await api.call("POST", "/api/admin/dids", {"number": "5145550100", "client": "1000"})
    for path in ("/api/admin/dids/%2B15145550100", "/api/admin/dids/5145550100", "/api/admin/dids/+15145550100"):
        status, body = await api.call("GET", path, login="sup")
        assert status == 200 and body["did"] == "+15145550100", path
    assert (await api.call("GET", "/api/admin/dids/not-a-number"))[0] == 404
    assert (await api.call("GET", "/api/admin/dids/5145550101"))[0] == 404
    status, moved = await api.call("PATCH", "/api/admin/dids/5145550100", {"client": "2000", "label": "night"})
    assert status == 200 and (moved["client_code"], moved["label"]) == ("2000", "night")
    assert (await api.store.read(lambda db: clients.client_for_did(db, "+15145550100"))).code == "2000"
    assert (await api.call("PATCH", "/api/admin/dids/5145550100", {"client": "9999"}))[0] == 400
    assert (await api.call("DELETE", "/api/admin/dids/5145550100", login="sup"))[0] == 404
    assert (await api.call("DELETE", "/api/admin/dids/5145550100"))[0] == 204
    assert (await api.call("DELETE", "/api/admin/dids/5145550100"))[0] == 404
    assert await api.store.read(lambda db: clients.client_for_did(db, "+15145550100")) is None


async def test_users_are_created_with_a_hashed_password_and_can_log_in(api):
    status, body = await api.call("POST", "/api/admin/users", {"login": "carol", "password": "carol-pass-1",
                                                               "role": "client", "client_code": "2000"})
    assert status == 201 and body == {"login": "carol", "role": "client", "client_code": "2000", "agent_id": None}
    stored = await api.store.read(lambda db: users.get_user(db, "carol"))
    assert stored.password_hash.startswith("scrypt$") and verify_password("carol-pass-1", stored.password_hash)
    resp = await api.client.post("/api/login", json={"login": "carol", "password": "carol-pass-1"})
    assert resp.status == 200
    status, listed = await api.call("GET", "/api/admin/users")
    assert [u["login"] for u in listed["users"]] == ["alice", "carol", "root", "sup"]
    assert all("password" not in str(u) and "scrypt" not in str(u) for u in listed["users"])
    assert (await api.call("GET", "/api/admin/users", login="sup"))[0] == 404  # accounts: admins only
    assert (await api.call("GET", "/api/admin/users/carol"))[1]["role"] == "client"
    assert (await api.call("GET", "/api/admin/users/nobody"))[0] == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"login": "root", "password": "long-enough-1", "role": "admin"}, 409, "login"),
    ({"login": "dave", "password": "short", "role": "admin"}, 400, "password"),
    ({"login": "dave", "role": "admin"}, 400, "password"),
    ({"login": "dave", "password": "long-enough-1", "role": "owner"}, 400, "role"),
    ({"login": "dave", "password": "long-enough-1", "role": "client"}, 400, "client_code"),
    ({"login": "dave", "password": "long-enough-1", "role": "admin", "client_code": "1000"}, 400, "client_code"),
    ({"login": "da ve", "password": "long-enough-1", "role": "admin"}, 400, "login"),
])
async def test_bad_or_taken_users_are_refused_naming_the_field(api, body, status, field):
    answer = await api.call("POST", "/api/admin/users", body)
    assert answer[0] == status and answer[1]["field"] == field, answer


async def test_a_new_password_ends_the_users_tokens(api):
    alice = await api.token("alice")
    assert (await api.client.get("/api/calls", headers={"Authorization": f"Bearer {alice}"})).status == 200
    assert (await api.call("PUT", "/api/admin/users/alice/password", {"password": "x"}))[0] == 400
    assert (await api.call("PUT", "/api/admin/users/alice/password", {"password": "new-alice-1"}, login="sup"))[0] \
        == 404
    assert (await api.call("PUT", "/api/admin/users/alice/password", {"password": "new-alice-1"}))[0] == 204
    assert (await api.client.get("/api/calls", headers={"Authorization": f"Bearer {alice}"})).status == 401
    resp = await api.client.post("/api/login", json={"login": "alice", "password": "new-alice-1"})
    assert resp.status == 200
    assert (await api.call("PUT", "/api/admin/users/nobody/password", {"password": "new-alice-1"}))[0] == 404


async def test_users_are_removed_but_never_the_last_admin(api):
    assert (await api.call("DELETE", "/api/admin/users/alice", login="sup"))[0] == 404
    assert (await api.call("DELETE", "/api/admin/users/alice"))[0] == 204
    assert (await api.call("DELETE", "/api/admin/users/alice"))[0] == 404
    status, body = await api.call("DELETE", "/api/admin/users/root")
    assert status == 409 and "last admin" in body["error"]
    await api.call("POST", "/api/admin/users", {"login": "root2", "password": "root2-pass-1", "role": "admin"})
    assert (await api.call("DELETE", "/api/admin/users/root"))[0] == 204


async def test_agents_keep_only_the_ha1_of_their_sip_password(api):
    status, body = await api.call("POST", "/api/admin/agents", {
        "id": "103", "name": "Carol Agent", "password": "carol-sip-secret",
        "queues": [{"queue": "1000-accueil", "penalty": 2}, {"queue": "1000-nuit"}]})
    assert status == 201, body
    assert body == {"id": "103", "name": "Carol Agent", "queues": [{"queue": "1000-accueil", "penalty": 2},
                                                                   {"queue": "1000-nuit", "penalty": 0}]}
    stored = await api.store.read(lambda db: agents.get_agent(db, "103"))
    assert stored.sip_ha1 == sip_ha1("103", SIP_REALM, "carol-sip-secret")
    status, body = await api.call("PATCH", "/api/admin/agents/103", {"password": "another-sip-secret"})
    assert status == 200 and "password" not in body
    stored = await api.store.read(lambda db: agents.get_agent(db, "103"))
    assert stored.sip_ha1 == sip_ha1("103", SIP_REALM, "another-sip-secret")
    status, listed = await api.call("GET", "/api/admin/agents", login="sup")
    assert status == 200 and [a["id"] for a in listed["agents"]] == ["103"]
    assert (await api.call("GET", "/api/admin/agents", login="alice"))[0] == 404


async def test_agents_join_and_leave_queues(api):
    await api.call("POST", "/api/admin/agents", {"id": "104", "name": "Dan", "password": "dan-sip-secret-1"})
    status, body = await api.call("PUT", "/api/admin/agents/104/queues/sales", {"penalty": 5})
    assert status == 200 and body == {"queue": "sales", "agent_id": "104", "penalty": 5}
    assert (await api.call("PUT", "/api/admin/agents/104/queues/support"))[0] == 200  # no body: penalty 0
    assert (await api.call("PUT", "/api/admin/agents/104/queues/Sales!"))[1]["field"] == "queue"
    assert (await api.call("PUT", "/api/admin/agents/104/queues/sales", {"penalty": 101}))[1]["field"] == "penalty"
    assert (await api.call("PUT", "/api/admin/agents/999/queues/sales"))[0] == 404
    assert (await api.call("GET", "/api/admin/agents/104"))[1]["queues"] == [
        {"queue": "sales", "penalty": 5}, {"queue": "support", "penalty": 0}]
    assert (await api.call("DELETE", "/api/admin/agents/104/queues/sales"))[0] == 204
    assert (await api.call("DELETE", "/api/admin/agents/104/queues/sales"))[0] == 404
    assert (await api.call("DELETE", "/api/admin/agents/104"))[0] == 204
    assert (await api.call("GET", "/api/admin/agents/104"))[0] == 404
    assert await api.store.read(lambda db: agents.list_members(db)) == []


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"id": "012", "name": "x", "password": "long-sip-secret"}, 400, "id"),
    ({"id": "105", "name": "a,b", "password": "long-sip-secret"}, 400, "name"),
    ({"id": "105", "name": "x", "password": "short"}, 400, "password"),
    ({"id": "105", "name": "x", "password": "long-sip-secret", "queues": ["sales"]}, 400, "queues"),
    ({"id": "105", "name": "x", "password": "long-sip-secret", "queues": [{"queue": "BAD"}]}, 400, "queues"),
])
async def test_bad_agents_are_refused_naming_the_field_and_nothing_is_kept(api, body, status, field):
    answer = await api.call("POST", "/api/admin/agents", body)
    assert answer[0] == status and answer[1]["field"] == field, answer
    assert await api.store.read(lambda db: agents.get_agent(db, "105")) is None


async def test_a_taken_agent_id_is_a_409(api):
    body = {"id": "106", "name": "x", "password": "long-sip-secret"}
    assert (await api.call("POST", "/api/admin/agents", body))[0] == 201
    assert (await api.call("POST", "/api/admin/agents", body))[0] == 409
    assert (await api.call("PATCH", "/api/admin/agents/999", {"name": "y"}))[0] == 404
