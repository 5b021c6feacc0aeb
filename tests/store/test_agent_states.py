"""Agents' logins, pauses, reasons (store.presence), their state timelines and occupancy (store.agent_states)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from store import agent_states, agents, connect, migrate, presence
from store.agent_states import StateChange
from store.agents import AgentConflict, AgentError, AgentNotFound


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    agents.add_agent(conn, "101", "Alice", "secret-secret-1", "permanence")
    agents.add_agent(conn, "102", "Bruno", "secret-secret-2", "permanence")
    yield conn
    conn.close()


def at(minute: int, second: int = 0) -> str:
    return f"2026-12-05T10:{minute:02d}:{second:02d}.000Z"


def moment(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 5, 10, minute, second, tzinfo=UTC)


def test_reasons_are_data_with_a_phone_digit_and_two_labels(db):
    codes = [(r.code, r.digit) for r in presence.list_reasons(db)]
    assert codes[:2] == [("break", "1"), ("lunch", "2")]
    assert presence.reason_for_digit(db, "2").label("fr") == "Repas"
    assert presence.reason_for_digit(db, "9") is None
    presence.set_reason(db, "coaching", "Accompagnement", "Coaching", digit="6")
    assert presence.reason(db, "coaching").label("en") == "Coaching"
    with pytest.raises(AgentConflict, match="digit 1 is reason break"):
        presence.set_reason(db, "smoke", "Pause café", "Coffee", digit="1")
    with pytest.raises(AgentError, match="no pause reason 'nap'") as info:
        presence.reason(db, "nap")
    assert info.value.field == "reason"
    with pytest.raises(AgentError) as info:
        presence.set_reason(db, "Bad Code", "x", "y")
    assert info.value.field == "code"


def test_login_pause_and_logout_persist(db):
    with pytest.raises(AgentConflict, match="not logged in"):
        presence.set_paused(db, "101", True, "lunch")
    first = presence.log_in(db, "101")
    assert not first.paused and presence.log_in(db, "101") == first  # a second login changes nothing
    paused = presence.set_paused(db, "101", True, "lunch")
    assert paused.paused and paused.pause_reason == "lunch" and paused.paused_at
    with pytest.raises(AgentError, match="no pause reason"):
        presence.set_paused(db, "101", True, "nap")
    assert presence.get_login(db, "101").pause_reason == "lunch"  # the refused change lost nothing
    assert not presence.set_paused(db, "101", False).paused
    assert [login.agent_id for login in presence.list_logins(db)] == ["101"]
    presence.log_out(db, "101")
    assert presence.get_login(db, "101") is None
    with pytest.raises(AgentNotFound):
        presence.log_in(db, "999")
    presence.log_in(db, "102")
    agents.remove_agent(db, "102")
    assert presence.list_logins(db) == []  # a removed agent is logged out with it


def test_each_change_closes_the_open_row_so_the_timeline_tiles(db):
    for change in (StateChange("101", "ready", at(0)), StateChange("101", "ringing", at(1), linkedid="L1", queue="q"),
                   StateChange("101", "on_call", at(1, 5), linkedid="L1", queue="q"),
                   StateChange("101", "wrap_up", at(3, 5), linkedid="L1", queue="q"),
                   StateChange("101", "ready", at(3, 10)), StateChange("101", "not_ready", at(5), reason="lunch")):
        agent_states.record(db, change)
    rows = agent_states.timeline(db, "101", moment(0), moment(10))
    assert [(r["state"], r["started_at"], r["ended_at"]) for r in rows] == [
        ("ready", at(0), at(1)), ("ringing", at(1), at(1, 5)), ("on_call", at(1, 5), at(3, 5)),
        ("wrap_up", at(3, 5), at(3, 10)), ("ready", at(3, 10), at(5)), ("not_ready", at(5), None)]
    with pytest.raises(ValueError, match="unknown state"):
        agent_states.record(db, StateChange("101", "dancing", at(6)))


def test_occupancy_clips_rows_to_the_period_and_counts_the_open_one_up_to_now(db):
    for change in (StateChange("101", "ready", at(0)), StateChange("101", "on_call", at(2), linkedid="L1"),
                   StateChange("101", "wrap_up", at(4), linkedid="L1"), StateChange("101", "ready", at(5)),
                   StateChange("101", "not_ready", at(6), reason="lunch"), StateChange("101", "logged_out", at(8)),
                   StateChange("102", "ready", at(0))):
        agent_states.record(db, change)
    # the period 10:01-10:09 (an hour's end, but now is 10:09)
    rows = {r["agent_id"]: r for r in agent_states.occupancy(db, moment(1), moment(59), now=moment(9))}
    a = rows["101"]
    assert a["seconds"] == {"logged_out": 60.0, "ready": 120.0, "ringing": 0.0, "on_call": 120.0, "wrap_up": 60.0,
                            "not_ready": 120.0}
    assert a["logged_in_s"] == 420.0 and a["calls"] == 1 and a["not_ready_reasons"] == {"lunch": 120.0}
    assert a["occupancy"] == round(180 / 300, 4)  # (on call + wrap-up) / (ready + ringing + on call + wrap-up)
    assert a["utilisation"] == round(180 / 420, 4)  # (on call + wrap-up) / logged in
    assert a["aht_s"] == 180.0
    assert rows["102"]["seconds"]["ready"] == 480.0 and rows["102"]["occupancy"] == 0.0
    assert rows["102"]["aht_s"] is None
    only = agent_states.occupancy(db, moment(1), moment(59), now=moment(9), agent_id="102")
    assert [r["agent_id"] for r in only] == ["102"]


def test_a_reason_in_use_cannot_be_removed_and_the_timeline_keeps_its_code(db):
    presence.set_reason(db, "coaching", "Accompagnement", "Coaching")
    agents.add_member(db, "1000-accueil", "101", 0)
    presence.log_in(db, "101")
    presence.set_paused(db, "101", True, "coaching")
    with pytest.raises(AgentConflict, match="agent 101"):
        presence.remove_reason(db, "coaching")
    presence.set_paused(db, "101", False)
    presence.remove_reason(db, "coaching")
    assert "coaching" not in [r.code for r in presence.list_reasons(db)]
    with pytest.raises(AgentNotFound):
        presence.remove_reason(db, "coaching")
