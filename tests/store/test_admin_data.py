"""What the admin API changes, at the store: client settings and business hours, DIDs (listed, moved,
removed), agents' names and SIP passwords, menus applied together; errors say which field, and not
found and taken are told apart (the API answers 404 and 409 for them)."""

from __future__ import annotations

import json

import pytest

from store import agents, clients, connect, menus, migrate, users
from store.clients import ClientConflict, ClientError, ClientNotFound, Schedule
from store.routing import RoutingData


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "A")
    yield conn
    conn.close()


def test_a_client_starts_with_the_default_window_service_level_and_no_hours(db):
    client = clients.get_client(db, "1000")
    assert (client.history_days, client.service_level_s, client.schedule) == (60, 20, Schedule())


def test_update_client_changes_only_what_is_given_and_keeps_the_schedule_as_given(db):
    schedule = Schedule((("mon-fri", "08:30-17:00"), ("sat", "09:00-12:00")), ("2026-12-25",),
                        (("2026-12-24T12:00", "2026-12-27T08:00"),))
    changed = clients.update_client(db, "1000", name=" Alpha ", history_days=90, schedule=schedule)
    assert (changed.name, changed.language, changed.history_days, changed.service_level_s) == ("Alpha", "fr", 90, 20)
    assert changed.schedule == schedule
    row = next(db.query("SELECT hours, holidays, closures FROM clients WHERE code = '1000'"))
    assert list(json.loads(row["hours"])) == ["mon-fri", "sat"]  # the order given
    assert clients.update_client(db, "1000", schedule=Schedule()).schedule.hours is None
    assert [c.code for c in clients.list_clients(db)] == ["1000"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": " "}, "name"), ({"name": "x" * 129}, "name"), ({"language": "de"}, "language"),
    ({"timezone": "Mars/Olympus"}, "timezone"), ({"history_days": 0}, "history_days"),
    ({"history_days": True}, "history_days"), ({"service_level_s": 3601}, "service_level_s"),
])
def test_a_bad_setting_names_its_field_and_changes_nothing(db, changes, field):
    with pytest.raises(ClientError) as caught:
        clients.update_client(db, "1000", **changes)
    assert caught.value.field == field and not isinstance(caught.value, ClientNotFound | ClientConflict)
    assert clients.get_client(db, "1000").name == "A"


def test_unknown_and_taken_are_their_own_errors(db):
    with pytest.raises(ClientNotFound):
        clients.update_client(db, "9999", name="x")
    with pytest.raises(ClientConflict) as caught:
        clients.add_client(db, "1000", "again")
    assert caught.value.field == "code"


def test_the_schedule_moves_the_routing_generation(db):
    routing = RoutingData(db)
    assert routing.client("1000").schedule.hours is None
    clients.update_client(db, "1000", schedule=Schedule((("mon", "24h"),)))
    assert routing.client("1000").schedule.hours == (("mon", "24h"),)


def test_dids_are_valid_numbers_listed_moved_and_removed(db):
    clients.add_client(db, "2000", "B")
    did = clients.add_did(db, "514-555-0100", "1000", "main")
    assert did == "+15145550100"
    with pytest.raises(ClientConflict) as caught:
        clients.add_did(db, "+1 514 555 0100", "2000")
    assert caught.value.field == "number" and "belongs to client 1000" in str(caught.value)
    with pytest.raises(ClientError) as caught:
        clients.add_did(db, "+999123456", "1000")  # possible-looking, not a valid number
    assert caught.value.field == "number"
    with pytest.raises(ClientError) as caught:
        clients.add_did(db, "5145550111", "9999")
    assert caught.value.field == "client" and not isinstance(caught.value, ClientNotFound)
    clients.add_did(db, "5145550199", "2000")
    assert [d.did for d in clients.list_dids(db)] == ["+15145550100", "+15145550199"]
    assert [d.did for d in clients.list_dids(db, "2000")] == ["+15145550199"]
    moved = clients.update_did(db, did, client_code="2000", label="after hours")
    assert (moved.client_code, moved.label) == ("2000", "after hours")
    assert clients.client_for_did(db, did).code == "2000"
    clients.remove_did(db, did)
    assert clients.get_did(db, did) is None and clients.client_for_did(db, did) is None
    with pytest.raises(ClientNotFound):
        clients.remove_did(db, did)
    with pytest.raises(ClientNotFound):
        clients.update_did(db, did, label="x")


def test_agents_rename_and_new_sip_password(db):
    agent = agents.add_agent(db, "101", "Alice", "a-long-secret", "permanence")
    with pytest.raises(agents.AgentConflict):
        agents.add_agent(db, "101", "Again", "a-long-secret", "permanence")
    changed = agents.update_agent(db, "101", "permanence", name="Alice B.", secret="another-secret")
    assert changed.name == "Alice B." and changed.sip_ha1 == agents.sip_ha1("101", "permanence", "another-secret")
    assert changed.sip_ha1 != agent.sip_ha1
    with pytest.raises(agents.AgentError) as caught:
        agents.update_agent(db, "101", "permanence", secret="short")
    assert caught.value.field == "password"
    with pytest.raises(agents.AgentNotFound):
        agents.update_agent(db, "999", "permanence", name="x")
    agents.add_member(db, "sales", "101", 2)
    agents.add_member(db, "support", "101")
    assert [m.queue for m in agents.list_members(db, "101")] == ["sales", "support"]
    with pytest.raises(agents.AgentNotFound):
        agents.remove_member(db, "billing", "101")
    with pytest.raises(agents.AgentError) as caught:
        agents.add_member(db, "sales", "101", 101)
    assert caught.value.field == "penalty"


def test_users_not_found_and_taken(db):
    users.add_user(db, "root", "hash", "admin")
    with pytest.raises(users.UserConflict):
        users.add_user(db, "root", "hash", "admin")
    with pytest.raises(users.UserNotFound):
        users.set_password(db, "nobody", "hash")
    with pytest.raises(users.UserError) as caught:
        users.add_user(db, "c", "hash", "client", "9999")
    assert caught.value.field == "client_code"


def test_menus_applied_together_and_their_errors(db):
    applied = menus.apply_menus(db, [("a", "1000", "a.yaml", "a: 1"), ("b", "1000", "b.yaml", "b: 1")])
    assert [(m.name, m.version) for m in applied] == [("a", 1), ("b", 1)]
    clients.add_client(db, "2000", "B")
    with pytest.raises(menus.MenuConflict):
        menus.apply_menu(db, "a", "2000", "a.yaml", "a: 2")
    with pytest.raises(menus.MenuConflict):
        menus.rollback_menu(db, "a")
    with pytest.raises(menus.MenuNotFound):
        menus.rollback_menu(db, "nosuch")
