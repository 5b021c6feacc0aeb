from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import Scope, callers, calls, checkin, clients, connect, ivr_path, menus, migrate
from store.calls import CallRecord
from store.menus import MenuStoreError
from tests.support import two_clients

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    yield from two_clients(tmp_path)


def test_apply_versions_and_rollback(db):
    v1 = menus.apply_menu(db, "demo", "1000", "demo.yaml", "menu: demo # v1\n")
    assert v1.version == 1 and menus.entry_menu(db, "1000") == "demo"
    assert menus.apply_menu(db, "demo", "1000", "demo.yaml", "menu: demo # v1\n").version == 1  # same text
    v2 = menus.apply_menu(db, "demo", "1000", "demo.yaml", "menu: demo # v2\n")
    assert v2.version == 2 and menus.active_menu(db, "demo").body.endswith("v2\n")
    assert [(v, a) for v, _, a in menus.menu_versions(db, "demo")] == [(2, True), (1, False)]
    back = menus.rollback_menu(db, "demo")
    assert back.version == 1 and menus.active_menu(db, "demo").version == 1
    with pytest.raises(MenuStoreError, match="nothing to roll back"):
        menus.rollback_menu(db, "demo")
    with pytest.raises(MenuStoreError, match="belongs to client 1000"):
        menus.apply_menu(db, "demo", "2000", "x.yaml", "menu: demo\n")
    with pytest.raises(MenuStoreError, match="no active menu"):
        menus.rollback_menu(db, "ghost")
    with pytest.raises(MenuStoreError, match="has no active menu"):
        menus.set_entry_menu(db, "2000", "demo")


def test_callers_are_created_then_updated_per_client(db):
    before, after = callers.touch_caller(db, "1000", "+15145551234", "Côté", "1.1", "2026-11-23T10:00:00.000Z")
    assert before is None and after.calls_count == 1 and after.name == "Côté"
    callers.set_caller(db, "1000", "+15145551234", notes="Prefers English")
    before, after = callers.touch_caller(db, "1000", "+15145551234", None, "2.1", "2026-11-24T10:00:00.000Z")
    assert before.last_linkedid == "1.1" and before.notes == "Prefers English"
    assert after.calls_count == 2 and after.last_linkedid == "2.1" and after.name == "Côté"
    assert callers.get_caller(db, "2000", "+15145551234") is None  # per client


def test_checkin_locks_after_repeated_bad_pins_and_clears_on_success(db):
    checkin.set_pin(db, "1000", "hash")
    kw = {"linkedid": "1.1", "caller": "+15145551234", "lock_after": 3, "lock_for": timedelta(minutes=15)}
    for _ in range(2):
        state = checkin.record_attempt(db, client_code="1000", outcome="bad_pin", now=NOW, **kw)
    assert state.failures == 2 and not state.locked(NOW)
    state = checkin.record_attempt(db, client_code="1000", outcome="bad_pin", now=NOW, **kw)
    assert state.locked(NOW) and state.locked(NOW + timedelta(minutes=14))
    assert not state.locked(NOW + timedelta(minutes=16))
    checkin.record_attempt(db, client_code="1000", outcome="bad_pin", now=NOW, **kw)
    state = checkin.record_attempt(db, client_code="1000", outcome="ok", now=NOW + timedelta(minutes=20), **kw)
    assert state.failures == 0 and state.locked_until is None
    checkin.record_attempt(db, client_code=None, outcome="unknown_client", now=NOW, **kw)
    assert len(checkin.attempts(db)) == 6 and len(checkin.attempts(db, "1000")) == 5
    with pytest.raises(ValueError):
        checkin.record_attempt(db, client_code="1000", outcome="maybe", now=NOW, **kw)


def test_ivr_path_is_appended_in_order_and_served_with_the_call(db):
    ivr_path.add_steps(db, "9.1", [ivr_path.IvrStep("t1", "demo", "language", "language", "1", "fr")])
    ivr_path.add_steps(db, "9.1", [ivr_path.IvrStep("t2", "demo", "main", "menu", "1", "choice 1 -> q")])
    calls.save_call(db, CallRecord(linkedid="9.1", client_code="1000", started_at="t0", disposition="answered"))
    call = calls.get_call(db, Scope.client("1000"), "9.1")
    assert [(s["seq"], s["node"], s["digit"]) for s in call["ivr_path"]] == [(1, "language", "1"), (2, "main", "1")]


def test_routing_data_follows_changes_made_by_other_connections(tmp_path):
    from store.routing import RoutingData

    path = tmp_path / "r.sqlite3"
    migrate(path)
    own = connect(path)
    routing = RoutingData(own)
    try:
        assert routing.client_for_did("+15145550100") is None
        cli = connect(path)  # another connection, as the CLI would be
        clients.add_client(cli, "1000", "A")
        clients.add_did(cli, "5145550100", "1000")
        assert routing.client_for_did("+15145550100").code == "1000"
        reloads = routing.reloads
        for _ in range(50):
            routing.client_for_did("+15145550100")
        assert routing.reloads == reloads  # nothing changed: no re-read
        menus.apply_menu(cli, "demo", "1000", "d.yaml", "menu: demo # v1\n")
        assert routing.menus_of("1000")["demo"].version == 1
        menus.apply_menu(cli, "demo", "1000", "d.yaml", "menu: demo # v2\n")
        assert routing.menus_of("1000")["demo"].version == 2
        assert routing.client("1000").entry_menu == "demo"
        callers.touch_caller(cli, "1000", "+15145551234", None, "1.1", "t")  # not routing data
        reloads = routing.reloads
        routing.client_for_did("+15145550100")
        assert routing.reloads == reloads
        cli.close()
    finally:
        own.close()
