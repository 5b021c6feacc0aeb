"""The client's script on a real call, and the message it makes dispatched on real parts: a caller goes
through the IVR (French) into the queue, agent 101's softphone answers, and while they talk the agent
reads the script from the API pre-filled with the caller's number and answers it; the message is the
call's, and goes by the client's protocol — an SMS through Kannel left unanswered, then the call to the
on-call contact's mobile (a sipp UAS) that presses 1: delivered, each attempt in the history. The same
number's next call is pre-filled with that message's answers. The script is set from the command line."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

import pytest

from store import sms_delivery
from tests.support import wait_for

from .agents import SippAgent, agent_account, answers
from .conftest import ADMIN_PASSWORD, AGENT_SECRETS, DEMO_PASSWORD, OTHER_PASSWORD, System
from .desk_stream import PASSWORD, follow
from .dtmf import write_keypresses
from .sipp import keypress_scenario
from .test_desk import QUEUE
from .test_dispatch_phone import (
    _ANSWER_PRESS_1,
    _INVITE,
    MOBILE,
    _mobile,
    on_call,  # noqa: F401 - the fixture: client 1000's on-call contact, MOBILE
)

pytestmark = pytest.mark.asterisk

NUMBER = "5145557101"
SCRIPT = {"questions": [
    {"key": "name", "text": {"fr": "Nom", "en": "Name"}, "type": "text", "required": True},
    {"key": "callback", "text": {"fr": "Numéro de rappel", "en": "Callback number"}, "type": "phone",
     "required": True},
    {"key": "nature", "text": {"fr": "Nature", "en": "Nature"}, "type": "choice", "required": True,
     "choices": [{"value": "leak", "fr": "Fuite", "en": "Leak"}, {"value": "quote", "fr": "Soumission"}]},
    {"key": "running", "text": {"fr": "L'eau coule-t-elle ?", "en": "Water running?"}, "type": "yes_no",
     "required": True, "conditions": [{"key": "nature", "equals": "leak"}]},
    {"key": "city", "text": {"fr": "Ville", "en": "City"}, "type": "text"},
]}


def _answered_call(system: System, work: Path, token: str, talk_ms: int):
    """Start a call from NUMBER answered by 101; return (its pop, a function that waits for its end)."""
    stream = follow(system, token)
    scenario = work / "caller.xml"
    scenario.write_text(keypress_scenario(QUEUE, work, number=NUMBER, callee_hangs_up=True), encoding="utf-8")
    phone = SippAgent(system, "101", AGENT_SECRETS["101"], work)
    phone.start(answers("101", talk_ms=talk_ms))
    outcome: dict = {}
    caller = threading.Thread(
        target=lambda: outcome.update(result=system.sipp("-sf", str(scenario), "-s", "5145550100", timeout=90)))
    caller.start()

    def finish() -> None:
        caller.join(90)
        try:
            assert outcome["result"].returncode == 0, outcome["result"].stdout[-2000:]
            assert phone.wait(30).returncode == 0
        finally:
            phone.stop()

    try:
        pop = wait_for(lambda: next((d for k, d in stream.events if k == "pop"), None), 40, "the pop on 101")
    except BaseException:
        finish()
        raise
    return pop, finish


@pytest.mark.usefixtures("on_call")
def test_the_agent_takes_the_calls_message_through_the_script(system: System) -> None:
    agent_account(system, "alice101", "101", PASSWORD)
    system.cli("script", "set", "1000", "-", stdin=json.dumps(SCRIPT))
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="script-"))
    alice = system.login("alice101", PASSWORD)
    admin = system.login("admin", ADMIN_PASSWORD)
    status, _, body = system.request("PUT", "/api/dispatch/protocols/1000", token=admin, body={"steps": [
        {"channel": "sms", "to": "on_call", "wait_s": 4}, {"channel": "phone", "to": "on_call", "wait_s": 60}]})
    assert status == 200, body
    assert system.kannel is not None
    sent_before = len(system.kannel.sent())
    [pcap] = write_keypresses("1", work, 0)
    mobile = _mobile(system, _INVITE + _ANSWER_PRESS_1.replace("{pcap}", str(pcap)), work)
    try:
        message, linkedid = _take_message(system, work, alice)
        demo = system.login("demo", DEMO_PASSWORD)

        def delivered() -> dict | None:
            status, _, body = system.request("GET", f"/api/messages/{message['id']}", token=demo)
            found = json.loads(body) if status == 200 else None
            return found if found and found["status"] == "delivered" else None

        done = wait_for(delivered, 60, "the SMS unanswered, then the call to the mobile confirmed")
        out, err = mobile.communicate(timeout=40)
        assert mobile.returncode == 0, (out, err)
    finally:
        if mobile.poll() is None:
            mobile.kill()
            mobile.communicate()
    # The client reads its message: the script's answers, every attempt; the other client cannot.
    assert done["fields"] == message["fields"] and done["linkedid"] == linkedid
    # Kannel's delivery reports come at its own pace (tests/dispatch/test_sms_delivery.py asserts on them):
    # here only that they are the SMS's, and good news — they never take the place of the attempts.
    history = [(e["step"], e["channel"], e["result"]) for e in done["history"]]
    reports = [entry for entry in history if entry[2] in sms_delivery.RESULTS]
    assert [entry for entry in history if entry not in reports] == [
        (0, "sms", "sent"), (0, "sms", "no_reply"), (1, "phone", "sent"), (1, "phone", "confirmed")]
    assert set(reports) <= {(0, "sms", "sms_accepted"), (0, "sms", "sms_delivered")}, reports
    assert done["confirmed_by"] == MOBILE
    sms = [m for m in system.kannel.sent()[sent_before:] if m.to == MOBILE]
    assert len(sms) == 1 and "Jeanne Roy" in sms[0].text and "Fuite" in sms[0].text  # the script's answers
    other = system.login("other", OTHER_PASSWORD)
    assert system.request("GET", f"/api/messages/{message['id']}", token=other)[0] == 404

    # The same number calls again: the script starts from that message's answers.
    wait_for(lambda: system.request("GET", f"/api/calls/{linkedid}", token=alice)[0] == 200, 30, "the first call")
    pop, finish = _answered_call(system, work, alice, talk_ms=4000)
    try:
        status, _, body = system.request("GET", f"/api/calls/{pop['linkedid']}/script", token=alice)
    finally:
        finish()
    assert status == 200 and pop["linkedid"] != linkedid
    assert json.loads(body)["prefill"] == {"name": "Jeanne Roy", "callback": "+15145557101", "nature": "leak",
                                           "running": True, "city": "Laval"}


def _take_message(system: System, work: Path, alice: str) -> tuple[dict, str]:
    """A call answered by 101, during which the agent walks the script; the message taken and the call."""
    pop, finish = _answered_call(system, work, alice, talk_ms=12000)
    try:
        linkedid = pop["linkedid"]
        status, _, body = system.request("GET", f"/api/calls/{linkedid}/script", token=alice)
        assert status == 200, body
        form = json.loads(body)
        assert (form["client_code"], form["language"]) == ("1000", "fr")  # 1 for French in the IVR
        assert [q["key"] for q in form["questions"]] == ["name", "callback", "nature", "running", "city"]
        assert form["prefill"]["callback"] == "+1" + NUMBER
        # The other client's user sees nothing of it.
        other = system.login("other", OTHER_PASSWORD)
        assert system.request("GET", f"/api/calls/{linkedid}/script", token=other)[0] == 404
        status, _, body = system.request("POST", f"/api/calls/{linkedid}/script", token=alice, body={"answers": {
            "name": "Jeanne Roy", "callback": form["prefill"]["callback"], "nature": "leak", "city": "Laval"}})
        assert status == 400 and json.loads(body)["errors"] == {"running": "required"}
        status, _, body = system.request("POST", f"/api/calls/{linkedid}/script", token=alice, body={"answers": {
            "name": "Jeanne Roy", "callback": form["prefill"]["callback"], "nature": "leak", "running": "oui",
            "city": "Laval"}})
        assert status == 201, body
        message = json.loads(body)
    finally:
        finish()
    assert message["linkedid"] == linkedid and message["client_code"] == "1000"
    assert message["fields"] == {"name": "Jeanne Roy", "callback": "+15145557101", "nature": "leak",
                                 "running": True, "city": "Laval"}
    return message, linkedid
