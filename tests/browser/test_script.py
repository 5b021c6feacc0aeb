"""The client's script on the agent's desk in Chromium: a caller of client 2000 (English) who chose French
in the IVR reaches Ed (agent 202); his page shows the script in French, pre-filled from the caller's
last message and number; answering the nature of the call shows and hides questions; a bad number is
refused under its question; the message taken is the call's, with its fields, and the client reads it on
the call's page (the other client gets 404)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from store import CallRecord, calls, connect, messages
from store import scripts as store_scripts
from store.clock import iso
from store.ivr_path import IvrStep, add_steps
from tests.callscript.sample import SCRIPT

from .conftest import log_in

LINKEDID = "1790000300.1"
EARLIER = "1760000001.1"  # the seed's call of +14165550001 to client 2000
CALLER = "4165550001"


def _prepare(portal) -> int:
    db = connect(portal.store_path)
    try:
        store_scripts.set_script(db, "2000", SCRIPT)
        earlier = messages.create_message(db, "2000", "root", linkedid=EARLIER, fields={
            "name": "Sam Tremblay", "nature": "quote", "email": "sam@example.com", "company": "Tremblay inc."})
        add_steps(db, LINKEDID, [IvrStep("2026-12-01T10:00:01Z", "tremblay", "langue", "language", "1",
                                         "choice 1 -> fr")])
        return earlier.id
    finally:
        db.close()


def _call_reaches_202(portal) -> None:
    portal.feed({"Event": "Newchannel", "Linkedid": LINKEDID, "Uniqueid": LINKEDID, "CallerIDNum": CALLER})
    portal.feed({"Event": "UserEvent", "UserEvent": "PermanenceCall", "Linkedid": LINKEDID, "Client": "2000",
                 "DID": "+14165550199", "Menu": "tremblay"})
    portal.feed({"Event": "QueueCallerJoin", "Linkedid": LINKEDID, "Queue": "garage"})
    portal.feed({"Event": "AgentConnect", "Linkedid": LINKEDID, "Queue": "garage", "Interface": "PJSIP/202",
                 "MemberName": "Ed Agent", "CallerIDNum": CALLER, "DestChannel": "PJSIP/202-0000003a"})


def shown(page) -> list[str]:
    """The questions the agent sees: laid out on the page, not merely marked shown."""
    return page.eval("[...document.querySelectorAll('#script-questions .question')]"
                     ".filter(q => q.checkVisibility()).map(q => q.dataset.key)")


def test_the_agent_walks_the_prefilled_script_and_takes_the_message(browser, portal):
    earlier = _prepare(portal)
    ed = browser()
    log_in(ed, "ed", "/agent")
    ed.wait("document.getElementById('desk-status').classList.contains('connected')")
    assert ed.eval("document.getElementById('script').hidden") is True
    _call_reaches_202(portal)
    ed.wait("!document.getElementById('script').hidden")
    assert ed.text("#script h3") == "Script du client : prendre le message"
    assert ed.text("#script-language") == "Questions dans la langue de l'appelant (fr)"
    assert ed.text("label[for=script-name]") == "Nom de l'appelant *"  # the caller's French, not the client's
    # Pre-filled: the last message's answers where the keys match, the number calling now.
    assert ed.eval("document.getElementById('script-name').value") == "Sam Tremblay"
    assert ed.eval("document.getElementById('script-callback').value") == "+14165550001"
    assert ed.eval("document.getElementById('script-nature').value") == "quote"
    assert ed.eval("document.getElementById('script-email').value") == "sam@example.com"
    assert shown(ed) == ["name", "callback", "nature", "email", "visit", "notes"]
    assert ed.eval("[...document.getElementById('script-nature').options].map(o => o.text)") == \
        ["— choisir —", "Fuite", "Soumission", "Autre"]

    # A leak: whether water runs is asked, the email is not; running water asks for the rooms.
    ed.select("#script-nature", "leak")
    assert shown(ed) == ["name", "callback", "nature", "running", "visit", "notes"]
    ed.select("#script-running", "true")
    assert shown(ed) == ["name", "callback", "nature", "running", "rooms", "visit", "notes"]
    ed.select("#script-running", "false")
    assert "rooms" not in shown(ed)
    ed.select("#script-running", "true")

    # A wrong number and a missing name: each refused under its question, nothing taken.
    ed.fill("#script-callback", "12")
    ed.fill("#script-name", "")
    ed.fill("#script-rooms", "2,5")
    ed.allow_console(r"status of 400")
    ed.click("#script-form button[type=submit]")
    ed.wait("!document.getElementById('script-callback-error').hidden")
    assert ed.text("#script-callback-error") == "Ce n'est pas un numéro de téléphone possible."
    assert ed.text("#script-name-error") == "Réponse obligatoire."
    assert ed.eval("document.getElementById('script-callback').getAttribute('aria-invalid')") == "true"
    assert ed.eval("document.getElementById('script-rooms-error').hidden") is True
    assert ed.text("#script-result") == "Corrigez les réponses signalées."

    ed.fill("#script-callback", "416 555 0001")
    ed.fill("#script-name", "Sam Tremblay")
    ed.fill("#script-notes", "Sous l'évier <b>vite</b>")
    ed.click("#script-form button[type=submit]")
    ed.wait("document.getElementById('script-form').dataset.message !== undefined")
    taken = int(ed.eval("document.getElementById('script-form').dataset.message"))
    assert ed.text("#script-result") == f"Message n° {taken} pris : l'envoi commence."
    assert ed.eval("document.getElementById('script-callback-error').hidden") is True
    assert ed.eval("document.querySelector('#script-form button[type=submit]').disabled") is True

    # The page opened again during the call: the pop comes back, and the form says what was taken.
    ed.goto("/agent")
    ed.wait("!document.getElementById('script').hidden")
    assert ed.text("#script-result") == f"Message n° {taken} déjà pris pour cet appel."

    db = connect(portal.store_path)
    try:
        message = messages.get_message(db, messages.Scope.everything(), taken)
    finally:
        db.close()
    assert taken != earlier and (message.linkedid, message.client_code, message.created_by) == \
        (LINKEDID, "2000", "ed")
    assert message.fields == {"name": "Sam Tremblay", "callback": "+14165550001", "nature": "leak", "running": True,
                              "rooms": 2.5, "notes": "Sous l'évier <b>vite</b>"}  # the email hidden: dropped
    assert message.text.splitlines()[2] == "Nature of the call: Leak"  # the client's language

    portal.feed({"Event": "AgentComplete", "Linkedid": LINKEDID, "Queue": "garage", "Interface": "PJSIP/202",
                 "TalkTime": "42", "Reason": "caller"})
    portal.feed({"Event": "Hangup", "Linkedid": LINKEDID, "Uniqueid": LINKEDID})
    ed.wait(f"document.getElementById('desk').dataset.ended === '{LINKEDID}'")

    # The call ends and is written: its page shows the client the message with its fields, as text.
    db = connect(portal.store_path)
    try:
        calls.save_call(db, CallRecord(linkedid=LINKEDID, client_code="2000", started_at=iso(datetime.now(UTC)),
                                       disposition="answered", caller_number="+1" + CALLER, agent="202"))
    finally:
        db.close()
    try:
        _client_reads_it(browser, taken, message)
    finally:  # the shared store's calls as the other tests count them
        db = connect(portal.store_path)
        try:
            db.execute("DELETE FROM calls WHERE linkedid = ?", [LINKEDID])
        finally:
            db.close()


def _client_reads_it(browser, taken: int, message: messages.Message) -> None:
    bob, alice = browser("en-US"), browser()
    log_in(bob, "bob")
    assert bob.goto(f"/calls/{LINKEDID}") == 200
    article = f"#messages article[data-message='{taken}']"
    assert bob.text(f"{article} h3") == f"Message {taken} — waiting to be sent"  # no dispatcher runs here
    fields = bob.eval(f"Object.fromEntries([...document.querySelectorAll(\"{article} dd\")]"
                      ".map(d => [d.dataset.field, d.textContent]))")
    assert fields == {"name": "Sam Tremblay", "callback": "+14165550001", "nature": "leak", "running": "Yes",
                      "rooms": "2.5", "notes": "Sous l'évier <b>vite</b>"}
    assert bob.eval(f"document.querySelector(\"{article} dd b\")") is None  # text, never markup
    found = bob.eval(f"fetch('/api/messages?linkedid={LINKEDID}').then(r => r.json())"
                     ".then(b => b.messages.map(m => [m.id, m.fields]))")
    assert found == [[taken, json.loads(json.dumps(message.fields))]]
    log_in(alice, "alice")
    alice.allow_console(r"status of 404")
    assert alice.goto(f"/calls/{LINKEDID}") == 404
    assert alice.eval(f"fetch('/api/messages/{taken}').then(r => r.status)") == 404
