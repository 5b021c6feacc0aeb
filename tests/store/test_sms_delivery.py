"""SMS delivery reports in the store, on a clock of the test's own: the dlr-url's parameters read or refused
by name; each report appended to the history and kept as the attempt's delivery state (a final state never
replaced by a late 'accepted'); a rejection or a non-delivery ends the waiting step at once and no
'no_reply' follows; nothing confirms; a report for a finished message or an unknown attempt moves
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import dispatch, messages, protocols, sms_delivery
from store.clock import iso
from store.sms_delivery import Report, ReportError
from tests.support import two_clients

T0 = datetime(2026, 3, 8, 12, 0, 0, tzinfo=UTC)
NUMBER = "+15145550123"


def at(seconds: float) -> str:
    return iso(T0 + timedelta(seconds=seconds))


@pytest.fixture
def db(tmp_path):
    yield from two_clients(tmp_path)


def _sms_sent(db, wait_s: int = 300) -> dispatch.Attempt:
    """A message of client 1000 at its SMS step (then an email step), the SMS sent at T0."""
    steps = [{"channel": "sms", "to": "on_call", "wait_s": wait_s}, {"channel": "email", "to": "on_call", "wait_s": 60}]
    db.execute("INSERT OR REPLACE INTO dispatch_protocols (client_code, steps, updated_at) VALUES ('1000', ?, ?)",
               [protocols.to_json(protocols.parse_steps(steps)), iso(T0)])
    message = messages.create_message(db, "1000", "root", text="x", at=iso(T0))
    attempt = dispatch.begin_step(db, message, 0, iso(T0), recipient=NUMBER, contact_id=1)
    dispatch.attempt_sent(db, attempt, "0: Accepted for delivery")
    return attempt


@pytest.mark.parametrize(("query", "expected"), [
    ({"attempt": "12", "status": "8", "reply": "ACK/"}, Report(12, "accepted", "ACK/")),
    ({"attempt": "12", "status": "16", "reply": "NACK/REJECTED"}, Report(12, "rejected", "NACK/REJECTED")),
    ({"attempt": "7", "status": "1"}, Report(7, "delivered", "")),
    ({"attempt": "7", "status": "2", "reply": "id:1 stat:UNDELIV\r\nerr:001"}, Report(7, "undelivered",
                                                                                    "id:1 stat:UNDELIV  err:001")),
])
def test_the_parameters_read(query: dict, expected: Report) -> None:
    assert sms_delivery.parse(query) == expected


@pytest.mark.parametrize(("query", "parameter"), [
    ({"status": "8"}, "attempt"),
    ({"attempt": "", "status": "8"}, "attempt"),
    ({"attempt": "abc", "status": "8"}, "attempt"),
    ({"attempt": "-3", "status": "8"}, "attempt"),
    ({"attempt": "0", "status": "8"}, "attempt"),
    ({"attempt": "1" * 19, "status": "8"}, "attempt"),
    ({"attempt": "١٢", "status": "8"}, "attempt"),  # Arabic-Indic digits are digits to Python, not to us
    ({"attempt": "12"}, "status"),
    ({"attempt": "12", "status": "%d"}, "status"),  # smsbox left the escape as it was
    ({"attempt": "12", "status": "4"}, "status"),  # buffered: never asked for
    ({"attempt": "12", "status": "24"}, "status"),
])
def test_a_malformed_parameter_is_named(query: dict, parameter: str) -> None:
    with pytest.raises(ReportError) as raised:
        sms_delivery.parse(query)
    assert raised.value.parameter == parameter


def test_accepted_then_delivered_is_the_attempts_state_and_both_are_in_the_history(db) -> None:
    attempt = _sms_sent(db)
    assert sms_delivery.record(db, Report(attempt.id, "accepted", "ACK/"), at(1)).result == "recorded"
    assert sms_delivery.record(db, Report(attempt.id, "delivered"), at(4)).result == "recorded"
    history = messages.history(db, attempt.message_id)
    assert [(e.result, e.step, e.recipient, e.at) for e in history] == [
        ("sent", 0, NUMBER, at(0)), ("sms_accepted", 0, NUMBER, at(1)), ("sms_delivered", 0, NUMBER, at(4))]
    assert (history[0].delivery, history[0].delivery_at) == ("delivered", at(4))
    assert history[1].detail == "ACK/" and history[1].delivery is None
    # Delivered proves nothing: the message still waits at its step for the code, until its deadline.
    stored = dispatch.current(db, attempt.message_id)
    assert (stored.status, stored.step, stored.deadline, stored.confirmed_by) == ("dispatching", 0, at(300), None)



def test_the_same_state_again_is_kept_once(db) -> None:
    """One report per part of a concatenated SMS, or smsbox trying a report again: the history keeps
    each state once, with the first one's time."""
    attempt = _sms_sent(db)
    for second, state in ((1, "accepted"), (2, "accepted"), (3, "delivered"), (4, "accepted"), (5, "delivered")):
        done = sms_delivery.record(db, Report(attempt.id, state, "ACK/" if state == "accepted" else ""), at(second))
        assert done.result == ("recorded" if second in (1, 3) else "duplicate"), (second, done)
    history = messages.history(db, attempt.message_id)
    assert [(e.result, e.at) for e in history] == [("sent", at(0)), ("sms_accepted", at(1)),
                                                   ("sms_delivered", at(3))]
    assert (history[0].delivery, history[0].delivery_at) == ("delivered", at(3))

def test_a_late_accepted_does_not_replace_a_final_state(db) -> None:
    attempt = _sms_sent(db)
    sms_delivery.record(db, Report(attempt.id, "delivered"), at(1))
    sms_delivery.record(db, Report(attempt.id, "accepted", "ACK/"), at(2))
    sent = messages.history(db, attempt.message_id)[0]
    assert (sent.delivery, sent.delivery_at) == ("delivered", at(1))
    sms_delivery.record(db, Report(attempt.id, "undelivered", "stat:EXPIRED"), at(3))
    assert messages.history(db, attempt.message_id)[0].delivery == "undelivered"  # a later final one does


@pytest.mark.parametrize("state", ["rejected", "undelivered"])
def test_a_rejection_or_a_non_delivery_ends_the_step_now_and_no_reply_follows(db, state: str) -> None:
    attempt = _sms_sent(db, wait_s=300)
    done = sms_delivery.record(db, Report(attempt.id, state, "NACK/REJECTED"), at(2))
    assert (done.result, done.message_id, done.ended_step) == ("recorded", attempt.message_id, True)
    stored = dispatch.current(db, attempt.message_id)
    assert (stored.status, stored.step, stored.deadline) == ("dispatching", 0, at(2))
    # Due now, not at T0 + 300 s: the next look moves it on.
    assert [m.id for m in dispatch.due(db, at(2))] == [attempt.message_id]
    dispatch.end_step(db, stored, at(2.5))
    assert [e.result for e in messages.history(db, attempt.message_id)] == ["sent", f"sms_{state}"]
    assert messages.history(db, attempt.message_id)[1].detail == "NACK/REJECTED"
    assert dispatch.current(db, attempt.message_id).confirmed_by is None  # a report confirms nothing


def test_an_accepted_or_delivered_report_moves_nothing(db) -> None:
    attempt = _sms_sent(db)
    for state in ("accepted", "delivered"):
        assert sms_delivery.record(db, Report(attempt.id, state), at(1)).ended_step is False
    assert dispatch.due(db, at(299)) == []


def test_a_report_for_a_finished_message_is_recorded_and_moves_nothing(db) -> None:
    attempt = _sms_sent(db)
    assert dispatch.sms_reply(db, NUMBER, attempt.code, at(5)).result == "confirmed"
    done = sms_delivery.record(db, Report(attempt.id, "undelivered", "stat:UNDELIV"), at(9))
    assert (done.result, done.ended_step) == ("recorded", False)
    stored = dispatch.current(db, attempt.message_id)
    assert (stored.status, stored.deadline, stored.confirmed_by) == ("delivered", None, NUMBER)
    assert [e.result for e in messages.history(db, attempt.message_id)] == ["sent", "confirmed", "sms_undelivered"]


def test_a_report_for_a_step_already_left_is_recorded_on_that_step(db) -> None:
    attempt = _sms_sent(db, wait_s=300)
    message = dispatch.current(db, attempt.message_id)
    dispatch.end_step(db, message, at(300))
    email = dispatch.begin_step(db, message, 1, at(300), recipient="x@example.org", contact_id=1)
    done = sms_delivery.record(db, Report(attempt.id, "rejected"), at(301))
    assert (done.result, done.ended_step) == ("recorded", False)
    stored = dispatch.current(db, attempt.message_id)
    assert (stored.step, stored.deadline) == (1, email.deadline)
    assert [(e.result, e.step) for e in messages.history(db, attempt.message_id)][-1] == ("sms_rejected", 0)


def test_an_unknown_attempt_writes_nothing(db) -> None:
    attempt = _sms_sent(db)
    outcome = dispatch.sms_reply(db, NUMBER, "ZZZZ" if attempt.code != "ZZZZ" else "YYYY", at(1))  # not an attempt
    email_message = messages.create_message(db, "2000", "root", text="y", at=iso(T0))
    email = messages.add_history(db, email_message.id, "email", "sent", at=iso(T0), step=0, deadline=at(60))
    before = db.execute("SELECT count(*) FROM message_history").fetchone()[0]
    wrong_code_entry = messages.history(db, outcome.message_id)[-1].id
    for attempt_id in (999_999, wrong_code_entry, email):
        assert sms_delivery.record(db, Report(attempt_id, "rejected"), at(2)).result == "unknown"
    assert db.execute("SELECT count(*) FROM message_history").fetchone()[0] == before
    assert dispatch.current(db, attempt.message_id).deadline == at(300)
