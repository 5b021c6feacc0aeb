"""The dispatch's moves in the store, on a clock of the test's own: a reply's code (the end of its text),
the deadline to the millisecond, wrong and late codes kept in the history, codes that never collide for
one recipient, a confirmation racing the next step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import dispatch, messages, protocols
from store.clock import iso
from tests.support import two_clients

T0 = datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC)  # a DST morning in Montreal: nothing here is local
NUMBER = "+15145550123"


@pytest.fixture
def db(tmp_path):
    yield from two_clients(tmp_path)


def _sms_step(db, text: str = "x", wait_s: int = 60, code_length: int = 4):
    db.execute("INSERT INTO dispatch_protocols (client_code, steps, updated_at) VALUES ('1000', ?, ?)",
               [protocols.to_json(protocols.parse_steps([{"channel": "sms", "to": "on_call", "wait_s": wait_s,
                                                          "code_length": code_length}])), iso(T0)])
    message = messages.create_message(db, "1000", "root", text=text, at=iso(T0))
    return dispatch.begin_step(db, message, 0, iso(T0), recipient=NUMBER, contact_id=1)


@pytest.mark.parametrize(("text", "code"), [("OK 7K3Q", "7K3Q"), ("7k3q", "7K3Q"), ("merci, code: ab12.", "AB12"),
                                            ("Reçu A", "A"), ("", None), ("!!!", None),
                                            ("OKAY12345", None), ("Reçu, merci", None), ("OK 7K3Q ?", "7K3Q")])
def test_the_code_is_the_last_word_of_one_to_four_letters_or_digits(text: str, code: str | None) -> None:
    assert dispatch.reply_code(text) == code


def test_the_right_code_confirms_up_to_the_deadline_and_is_late_a_millisecond_after(db) -> None:
    attempt = _sms_step(db, wait_s=60)
    dispatch.attempt_sent(db, attempt)
    assert attempt.deadline == iso(T0 + timedelta(seconds=60)) and len(attempt.code) == 4
    late = dispatch.sms_reply(db, NUMBER, attempt.code, iso(T0 + timedelta(seconds=60, milliseconds=1)))
    assert late.result == "late"
    on_time = dispatch.sms_reply(db, NUMBER, f"ok {attempt.code.lower()}", iso(T0 + timedelta(seconds=60)))
    assert on_time.result == "confirmed"
    stored = dispatch.current(db, attempt.message_id)
    assert (stored.status, stored.confirmed_by, stored.deadline) == ("delivered", NUMBER, None)
    assert [(e.result, e.code) for e in messages.history(db, attempt.message_id)] == [
        ("sent", attempt.code), ("late", attempt.code), ("confirmed", attempt.code)]
    # Confirmed once: the same code again is late, and the message stays delivered.
    assert dispatch.sms_reply(db, NUMBER, attempt.code, iso(T0 + timedelta(seconds=61))).result == "late"


def test_a_wrong_code_goes_to_the_newest_waiting_sms_and_another_number_changes_nothing(db) -> None:
    first, second = _sms_step(db), None
    second_message = messages.create_message(db, "1000", "root", text="y", at=iso(T0))
    second = dispatch.begin_step(db, second_message, 0, iso(T0), recipient=NUMBER, contact_id=1)
    for attempt in (first, second):
        dispatch.attempt_sent(db, attempt)
    wrong = next(c for c in ("2222", "3333", "4444") if c not in (first.code, second.code))
    outcome = dispatch.sms_reply(db, NUMBER, wrong, iso(T0 + timedelta(seconds=5)))
    assert (outcome.result, outcome.message_id) == ("wrong_code", second.message_id)
    assert messages.history(db, second.message_id)[-1].code == wrong
    assert dispatch.sms_reply(db, "+15145550199", first.code, iso(T0)).result == "unknown"
    assert dispatch.current(db, first.message_id).status == "dispatching"
    # The first one's code still names the first message, not the newer one.
    assert dispatch.sms_reply(db, NUMBER, first.code, iso(T0 + timedelta(seconds=6))).message_id == first.message_id


def test_codes_waiting_for_one_recipient_never_collide(db) -> None:
    db.execute("INSERT INTO dispatch_protocols (client_code, steps, updated_at) VALUES ('1000', ?, ?)",
               [protocols.to_json(protocols.parse_steps([{"channel": "sms", "to": "on_call", "wait_s": 600,
                                                          "code_length": 1}])), iso(T0)])
    codes = []
    for i in range(len(dispatch.CODE_ALPHABET)):  # as many one-character codes as there are characters
        message = messages.create_message(db, "1000", "root", text=f"m{i}", at=iso(T0))
        attempt = dispatch.begin_step(db, message, 0, iso(T0), recipient=NUMBER, contact_id=1)
        dispatch.attempt_sent(db, attempt)
        codes.append(attempt.code)
    assert sorted(codes) == sorted(dispatch.CODE_ALPHABET)


def test_a_step_ended_early_is_not_also_a_missed_reply(db) -> None:
    attempt = _sms_step(db)
    dispatch.attempt_failed(db, attempt, iso(T0 + timedelta(seconds=1)), "gateway refused")
    stored = dispatch.current(db, attempt.message_id)
    assert stored.deadline == iso(T0 + timedelta(seconds=1))  # due now: the next look moves on
    assert [m.id for m in dispatch.due(db, iso(T0 + timedelta(seconds=1)))] == [attempt.message_id]
    dispatch.end_step(db, stored, iso(T0 + timedelta(seconds=2)))
    assert [e.result for e in messages.history(db, attempt.message_id)] == ["failed"]


def test_messages_by_status_count_the_alerts_not_taken_in_hand(db) -> None:
    from store.counts import messages_by_status

    for status, acknowledged in (("pending", None), ("failed", None), ("failed", iso(T0)), ("delivered", None)):
        message = messages.create_message(db, "1000", "root", text="x", at=iso(T0))
        db.execute("UPDATE messages SET status = ?, acknowledged_at = ? WHERE id = ?",
                   [status, acknowledged, message.id])
    assert messages_by_status(db) == {"pending": 1, "dispatching": 0, "delivered": 1, "failed": 2, "alerted": 1}
