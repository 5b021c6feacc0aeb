"""CallTracker dispositions from the AMI event sequences the dialplan (etc/asterisk/extensions.conf)
produces: PermanenceCall once the DID is known, PermanenceIvr each time the caller leaves the menus or
the check-in line, AgentConnect when a queue member takes the call.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ami import CallTracker
from ivr import variables as v

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LINKEDID = "1795435200.1"
STAMP = 1795435200.0


def ev(name: str, at: float = 0.0, **fields: str) -> dict[str, str]:
    return {"Event": name, "Linkedid": LINKEDID, "Uniqueid": LINKEDID, "Timestamp": f"{STAMP + at:.3f}", **fields}


def start() -> list[dict[str, str]]:
    return [ev("Newchannel", CallerIDNum="5145551234", CallerIDName="Test", Exten="5145550100")]


def found(menu: str = "demo") -> dict[str, str]:
    return ev("UserEvent", 0.1, UserEvent=v.CALL_EVENT, Status="found", Client="1000", DID="+15145550100",
              Recording=f"1000/2026/11/23/{LINKEDID}", Menu=menu)


def answered() -> dict[str, str]:
    return ev("Newstate", 0.2, ChannelState="6", ChannelStateDesc="Up")


def ivr(action: str, target: str = "", closed: str = "0", checkin: str = "") -> dict[str, str]:
    return ev("UserEvent", 5.0, UserEvent=v.IVR_EVENT, Action=action, Target=target, Closed=closed, Checkin=checkin)


def agent() -> dict[str, str]:
    return ev("AgentConnect", 20.0, Queue="1000-accueil", Interface="PJSIP/agent1", HoldTime="15")


def hangup() -> dict[str, str]:
    return ev("Hangup", 60.0, Cause="16", **{"Cause-txt": "Normal Clearing"})


def disposition(*middle: dict[str, str]) -> str:
    tracker = CallTracker()
    finished = []
    for event in [*start(), *middle, hangup()]:
        finished += tracker.feed(event, T0)
    assert tracker.calls == {}, "the hangup of the only channel ends the call"
    [call] = finished
    return call.state.disposition


IVR_CALLS = {
    "abandoned_ivr": [found(), answered()],  # hung up in the menus: no PermanenceIvr
    "voicemail": [found(), answered(), ivr("voicemail", "1000")],
    "voicemail_closed": [found(), answered(), ivr("voicemail", "1000", closed="1")],
    "oncall_no_agent": [found(), answered(), ivr("oncall", "1000-oncall")],
    "abandoned_queue": [found(), answered(), ivr("queue", "1000-accueil")],
    "answered_queue": [found(), answered(), ivr("queue", "1000-accueil"), agent()],
    "closed_hangup": [found(), answered(), ivr("hangup", closed="1")],
    "fallback": [found(), answered(), ivr("fallback")],
    "greeting_only": [found(menu=""), answered()],
    "checkin_queue_abandoned": [found(), answered(), ivr("checkin"), ivr("queue", "team-leaders", checkin="1000")],
    "checkin_queue_answered": [found(), answered(), ivr("checkin"), ivr("queue", "team-leaders", checkin="1000"),
                               agent()],
    "checkin_refused": [found(), answered(), ivr("checkin"), ivr("hangup")],
    "unknown_did": [ev("UserEvent", 0.1, UserEvent=v.CALL_EVENT, Status="unknown", DID="+15145550199")],
    "invalid_did": [ev("UserEvent", 0.1, UserEvent=v.CALL_EVENT, Status="invalid", DID="")],
    "never_answered": [found()],
    "never_answered_fallback": [ev("UserEvent", 0.1, UserEvent=v.IVR_EVENT, Action="fallback", Target="")],
}

EXPECTED = {
    "abandoned_ivr": "abandoned_ivr",
    "voicemail": "voicemail",
    "voicemail_closed": "voicemail",
    "oncall_no_agent": "voicemail",
    "abandoned_queue": "abandoned_queue",
    "answered_queue": "answered",
    "closed_hangup": "closed_hours",
    "fallback": "failed",
    "greeting_only": "answered",
    "checkin_queue_abandoned": "abandoned_queue",
    "checkin_queue_answered": "answered",
    "checkin_refused": "answered",
    "unknown_did": "unknown_did",
    "invalid_did": "unknown_did",
    "never_answered": "failed",
    "never_answered_fallback": "failed",
}


@pytest.mark.parametrize("case", list(IVR_CALLS), ids=list(IVR_CALLS))
def test_disposition(case):
    assert disposition(*IVR_CALLS[case]) == EXPECTED[case]


def test_the_call_state_behind_the_disposition():
    tracker = CallTracker()
    finished = []
    for event in [*start(), found(), answered(), ivr("queue", "1000-accueil"), agent(), hangup()]:
        finished += tracker.feed(event, T0)
    [call] = finished
    s = call.state
    assert (s.client_code, s.did, s.menu, s.ivr_action, s.closed) == ("1000", "+15145550100", "demo", "queue", False)
    assert s.answered_at == "2026-11-23T12:00:00.200Z"
    assert s.agent_answered_at == "2026-11-23T12:00:20.000Z"
    assert call.ended_at == "2026-11-23T12:01:00.000Z"


def test_closed_stays_set_once_seen():
    """The check-in route does not set IVR_CLOSED: a later PermanenceIvr with Closed '' keeps it."""
    tracker = CallTracker()
    for event in [*start(), found(), answered(), ivr("checkin", closed="1"), ivr("hangup", closed="")]:
        tracker.feed(event, T0)
    assert tracker.calls[LINKEDID].closed is True
    assert tracker.calls[LINKEDID].disposition == "closed_hours"


def test_the_second_agent_connect_does_not_move_the_answer_time():
    tracker = CallTracker()
    later = {**agent(), "Timestamp": f"{STAMP + 40:.3f}"}
    for event in [*start(), found(), answered(), ivr("queue", "1000-accueil"), agent(), later]:
        tracker.feed(event, T0)
    assert tracker.calls[LINKEDID].agent_answered_at == "2026-11-23T12:00:20.000Z"


def test_a_call_in_progress_has_no_finished_record_yet():
    tracker = CallTracker()
    out = [f for e in [*start(), found(), answered(), ivr("queue", "1000-accueil")] for f in tracker.feed(e, T0)]
    assert out == [] and LINKEDID in tracker.calls
