"""Scripts in a real SQLite file: a round trip, the client's alone, a refusal keeps the old one; a call's
form (the client and caller from the call's row or the caller's record, the pre-fill from the caller's
last message for that client only, the caller's IVR language); the answers taken as the call's message."""

from __future__ import annotations

import pytest

from callscript import ScriptError
from store import CallRecord, callers, calls, clients, connect, ivr_path, messages, migrate
from store import scripts as sc
from store.clients import ClientNotFound
from store.ivr_path import IvrStep
from tests.callscript.sample import SCRIPT

EARLIER, NOW = "1790000000.1", "1790000100.1"
CALLER = "+15145551111"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "Plomberie", language="fr")
    clients.add_client(conn, "2000", "Garage", language="en")
    yield conn
    conn.close()


def test_a_script_round_trips_and_is_the_clients_alone(db, tmp_path):
    kept = sc.set_script(db, "1000", SCRIPT)
    again = connect(tmp_path / "s.sqlite3")
    assert sc.get_script(again, "1000") == kept and kept.as_json() == sc.get_script(again, "1000").as_json()
    assert sc.get_script(again, "2000") is None
    broken = {"questions": [*SCRIPT["questions"], {"key": "x", "text": {"fr": "X"}, "type": "colour"}]}
    with pytest.raises(ScriptError) as caught:
        sc.set_script(db, "1000", broken)
    assert caught.value.field == "questions[8].type"
    assert sc.get_script(db, "1000") == kept  # the refusal changed nothing
    with pytest.raises(ClientNotFound):
        sc.set_script(db, "9999", SCRIPT)
    sc.set_script(db, "1000", {"questions": []})  # no questions: no script
    assert sc.get_script(db, "1000") is None


def _call(db, linkedid: str, client: str, number: str) -> None:
    calls.save_call(db, CallRecord(linkedid=linkedid, client_code=client, started_at="2026-12-01T10:00:00Z",
                                   disposition="answered", caller_number=number, agent="101"))


def test_a_calls_form_is_prefilled_from_the_callers_last_message_for_that_client(db):
    sc.set_script(db, "1000", SCRIPT)
    _call(db, EARLIER, "1000", "5145551111")  # the history kept the number as it came
    messages.create_message(db, "1000", "ann", linkedid=EARLIER, fields={
        "name": "Jeanne Roy", "nature": "leak", "visit": "2026-11-30", "company": "Roy inc."})
    _call(db, "1790000050.1", "2000", CALLER)  # the same number calling another client: not this one's
    messages.create_message(db, "2000", "ann", linkedid="1790000050.1", fields={"name": "Someone Else"})
    # The call running now: no row yet, the dnis route touched the caller's record.
    callers.touch_caller(db, "1000", CALLER, "J ROY", NOW, "2026-12-02T10:00:00Z")
    ivr_path.add_steps(db, NOW, [IvrStep("2026-12-02T10:00:01Z", "plomberie", "langue", "language", "2",
                                         "choice 2 -> en")])
    context = sc.call_context(db, NOW)
    assert context == sc.CallContext("1000", CALLER)
    form = sc.call_form(db, NOW, context, "CA")
    assert form["language"] == "en" and form["client_code"] == "1000"
    assert [q["key"] for q in form["questions"]] == [q["key"] for q in SCRIPT["questions"]]
    assert form["prefill"] == {"name": "Jeanne Roy", "callback": CALLER, "nature": "leak", "visit": "2026-11-30"}
    # A caller with no earlier message: the number, and the record's name.
    callers.touch_caller(db, "1000", "+15145552222", "B TREMBLAY", "1790000200.1", "2026-12-02T11:00:00Z")
    form = sc.call_form(db, "1790000200.1", sc.call_context(db, "1790000200.1"), "CA")
    assert form["prefill"] == {"name": "B TREMBLAY", "callback": "+15145552222"} and form["language"] == "fr"
    # A client without a script: no questions.
    _call(db, "1790000300.1", "2000", CALLER)
    assert sc.call_form(db, "1790000300.1", sc.call_context(db, "1790000300.1"), "CA")["questions"] == []
    assert sc.call_context(db, "1790000999.1") is None


def test_the_answers_become_the_calls_message_or_are_refused_each_by_name(db, tmp_path):
    sc.set_script(db, "1000", SCRIPT)
    _call(db, NOW, "1000", CALLER)
    context = sc.call_context(db, NOW)
    with pytest.raises(sc.AnswersRefused) as caught:
        sc.take_message(db, NOW, context, "ann", {"name": "Jeanne", "callback": "12", "nature": "leak"}, "CA")
    assert caught.value.errors == {"callback": "not a possible phone number: '12'", "running": "required"}
    assert messages.list_messages(db, messages.Scope.everything()) == []  # nothing taken
    message = sc.take_message(db, NOW, context, "ann", {
        "name": "Jeanne", "callback": "514 555 0199", "nature": "leak", "running": "oui", "rooms": "2",
        "notes": ""}, "CA")
    again = connect(tmp_path / "s.sqlite3")
    stored = messages.get_message(again, messages.Scope.everything(), message.id)
    assert stored.fields == {"name": "Jeanne", "callback": "+15145550199", "nature": "leak", "running": True,
                             "rooms": 2}
    assert stored.linkedid == NOW and stored.client_code == "1000" and stored.created_by == "ann"
    assert stored.status == "pending" and stored.steps  # its dispatch starts by the client's protocol
    assert stored.text.splitlines()[2:4] == ["Nature de l'appel : Fuite", "L'eau coule-t-elle encore ? : oui"]


def _plans(db, run) -> list[str]:
    """The query plan of every statement `run` makes (a new caller must cost an index probe, not a scan of
    the client's calls or messages)."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        db.conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            plans.append(" | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()))
    return plans


def test_a_callers_earlier_calls_and_last_message_are_found_through_the_number_index(db):
    from store import desk

    numbers = ["5145551111", "+15145551111"]
    for plan in (*_plans(db, lambda: sc.last_fields(db, "1000", numbers, NOW)),
                 *_plans(db, lambda: desk.earlier_calls(db, "1000", numbers, NOW))):
        assert "calls_client_caller (client_code=? AND caller_number=?)" in plan, plan
        assert "messages_client" not in plan and "calls_client_started" not in plan, plan
