"""The agent's desk in Chromium: the call that reaches agent 201 pops on Dana's page (the caller's earlier
calls, the client and its InfoPages, the IVR path), she saves a disposition and notes, and the call's
page shows them afterwards; Ed (agent 202) sees nothing of it; others have no desk. A callback Dana
makes pops with its banner and says when the caller answers; her wrap-up shows on the original call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import CallRecord, calls, connect
from store import callbacks as cb
from store.ivr_path import IvrStep, add_steps

from .conftest import log_in
from .seed import ALICE

LINKEDID = "1790000100.1"
CALLER = "5145551111"  # called twice yesterday (1750000001.1 answered by 201, 1750000004.1 a message)


def _call_reaches_201(portal) -> None:
    portal.feed({"Event": "Newchannel", "Linkedid": LINKEDID, "Uniqueid": LINKEDID, "CallerIDNum": CALLER})
    portal.feed({"Event": "UserEvent", "UserEvent": "PermanenceCall", "Linkedid": LINKEDID, "Client": "1000",
                 "DID": "+15145550100", "Menu": "dupont"})
    portal.feed({"Event": "QueueCallerJoin", "Linkedid": LINKEDID, "Queue": "accueil"})
    portal.feed({"Event": "AgentConnect", "Linkedid": LINKEDID, "Queue": "accueil", "Interface": "PJSIP/201",
                 "MemberName": "Dana Agent", "CallerIDNum": CALLER, "DestChannel": "PJSIP/201-0000002a"})


def test_the_pop_shows_and_the_wrap_up_is_kept(browser, portal):
    dana, ed = browser(), browser()
    log_in(dana, "dana", "/agent")
    log_in(ed, "ed", "/agent")
    for page in (dana, ed):
        page.wait("document.getElementById('desk-status').classList.contains('connected')")
    assert dana.text("h1") == "Poste d'agent 201"
    assert dana.eval("document.getElementById('pop').hidden") is True

    _call_reaches_201(portal)
    dana.wait(f"document.getElementById('desk').dataset.linkedid === '{LINKEDID}'")
    assert dana.text("#pop-caller") == "+15145551111"
    assert dana.text("#pop-client") == "1000 — Cabinet Dupont (fr)"
    assert dana.text("#pop-queue") == "accueil"
    assert dana.text("#pop-did") == "+15145550100 (principal)"
    assert dana.text("#pop-history-label") == "Appels de ce numéro"
    assert dana.text("#pop-infopages section.instructions h4") == "Consignes"
    assert "technicien de garde" in dana.text("#pop-infopages section.instructions p")
    earlier = dana.eval("[...document.querySelectorAll('#pop-earlier tbody tr')].map(r => r.dataset.linkedid)")
    assert earlier == ["1750000004.1", "1750000001.1"]  # newest first
    assert dana.text("#pop-earlier tr[data-linkedid='1750000001.1'] td:nth-child(2)") == "Répondu"
    assert dana.eval("document.getElementById('pop-callback').hidden") is True  # a queue call: no callback banner

    dana.select("#wrapup-code", "callback_promised")
    dana.fill("#wrapup-notes", "Rappeler demain matin <b>sans faute</b>")
    dana.click("#wrapup button[type=submit]")
    dana.wait("document.getElementById('wrapup-result').className === 'saved'")
    assert dana.text("#wrapup-result") == "Conclusion enregistrée."
    portal.feed({"Event": "AgentComplete", "Linkedid": LINKEDID, "Queue": "accueil", "Interface": "PJSIP/201",
                 "TalkTime": "42", "Reason": "caller"})
    portal.feed({"Event": "Hangup", "Linkedid": LINKEDID, "Uniqueid": LINKEDID})  # the shared live view: gone
    dana.wait(f"document.getElementById('desk').dataset.ended === '{LINKEDID}'")
    assert dana.text("#desk-status") == "Appel terminé : notez la conclusion."

    # Ed's stream never carried the call.
    assert ed.eval("document.getElementById('desk').dataset.linkedid") is None
    assert ed.eval("document.getElementById('pop').hidden") is True

    # The call ends and is written; its page shows the wrap-up (text, never markup), to Dana and to the
    # client, not to Ed.
    db = connect(portal.store_path)
    try:
        calls.save_call(db, CallRecord(linkedid=LINKEDID, client_code="1000", started_at="2026-01-01T00:00:00Z",
                                       disposition="answered", caller_number=CALLER, agent="201"))
    finally:
        db.close()
    assert dana.goto(f"/calls/{LINKEDID}") == 200
    assert dana.text("#wrapup .code") == "Rappel promis"
    assert dana.text("#wrapup .notes") == "Rappeler demain matin <b>sans faute</b>"
    assert dana.eval("document.querySelector('#wrapup .notes b')") is None
    ed.allow_console(r"status of 404")
    assert ed.goto(f"/calls/{LINKEDID}") == 404
    assert ed.goto(f"/calls/{ALICE[0]}") == 404  # a call of the client that never reached Ed


def test_a_callback_pops_with_its_banner_and_its_wrap_up_shows_on_the_original_call(browser, portal):
    original, conversation, channel = "1790000300.1", "1790000300.1-cb1", "PJSIP/201-0000003c"
    asked = datetime(2026, 1, 1, 14, 1, tzinfo=UTC)  # long ago: outside the client's window (test_calls' rows)
    db = connect(portal.store_path)
    try:
        calls.save_call(db, CallRecord(linkedid=original, client_code="1000", started_at="2026-01-01T14:00:00Z",
                                       disposition="voicemail", caller_number="5145554747", queue="accueil",
                                       queued_at="2026-01-01T14:00:10Z", wait_s=42.0, did="+15145550100"))
        add_steps(db, original, [IvrStep("2026-01-01T14:00:02Z", "dupont", "langue", "language", "1", "choice 1")])
        request = cb.add_request(db, linkedid=original, client_code="1000", queue="accueil", number="+15145554747",
                                 language="fr", queued_at=asked - timedelta(seconds=50), now=asked)
        attempt = cb.start_attempt(db, request.id, linkedid=conversation, agent="201", now=asked + timedelta(hours=1))
    finally:
        db.close()
    dana, ed = browser(), browser()
    log_in(dana, "dana", "/agent")
    log_in(ed, "ed", "/agent")
    for page in (dana, ed):
        page.wait("document.getElementById('desk-status').classList.contains('connected')")

    # Dana answers the phone the back end rang for the callback: the pop, before the caller is dialled.
    portal.feed({"Event": "Newchannel", "Linkedid": conversation, "Uniqueid": conversation, "Channel": channel,
                 "CallerIDNum": "+15145554747"})
    portal.feed({"Event": "UserEvent", "UserEvent": "PermanenceCall", "Linkedid": conversation, "Channel": channel,
                 "Status": "found", "Client": "1000", "DID": "+15145550100", "Menu": ""})
    portal.feed({"Event": "UserEvent", "UserEvent": "PermanenceCallback", "Linkedid": conversation,
                 "Channel": channel, "Of": original, "Request": str(request.id), "Attempt": str(attempt.id),
                 "Status": "AGENT"})
    dana.wait(f"document.getElementById('desk').dataset.linkedid === '{conversation}'")
    assert dana.eval("document.getElementById('pop-callback').hidden") is False
    assert dana.text("#pop-callback h3") == "Rappel : c'est vous qui appelez"
    assert dana.text("#pop-callback-of").startswith("Rappel de l'appel du ")
    assert dana.text("#pop-callback-of").endswith(f"(demande {request.id}), tentative 1")
    assert dana.text("#pop-callback-asked").endswith(", après 42 s d'attente")
    assert dana.text("#pop-callback-caller") == "Appel de l'appelant en cours…"
    assert dana.text("#pop-caller") == "+15145554747"
    assert dana.text("#pop-client") == "1000 — Cabinet Dupont (fr)"
    assert dana.text("#pop-queue") == "accueil"
    assert dana.text("#pop-ivr li") == "dupont · langue [1] → choice 1"  # the original call's path
    earlier = dana.eval("[...document.querySelectorAll('#pop-earlier tbody tr')].map(r => r.dataset.linkedid)")
    assert earlier == [original]

    portal.feed({"Event": "DialEnd", "Linkedid": conversation, "Channel": channel, "DestChannel":
                 "PJSIP/carrier-0000003d", "DialStatus": "ANSWER"})
    dana.wait("document.getElementById('desk').dataset.callbackCaller === 'answered'")
    assert dana.text("#pop-callback-caller") == "L'appelant a répondu."

    dana.select("#wrapup-code", "information_given")
    dana.fill("#wrapup-notes", "Devis envoyé par courriel")
    dana.click("#wrapup button[type=submit]")
    dana.wait("document.getElementById('wrapup-result').className === 'saved'")
    portal.feed({"Event": "Hangup", "Linkedid": conversation, "Uniqueid": conversation, "Channel": channel})
    dana.wait(f"document.getElementById('desk').dataset.ended === '{conversation}'")
    assert ed.eval("document.getElementById('desk').dataset.linkedid") is None  # Ed's stream never carried it

    # The original call's page lists the callback with Dana's wrap-up.
    sup = browser()
    log_in(sup, "sup")
    assert sup.goto(f"/calls/{original}") == 200
    row = f"#callbacks-table tr[data-call='{conversation}']"
    assert sup.text(f"{row} td:nth-child(2)") == "201"
    assert sup.text(f"{row} td:nth-child(3)") == "En cours"  # no outcome yet: no scheduler behind this portal
    assert sup.text(f"{row} .code") == "Information donnée"
    assert sup.text(f"{row} .notes") == "Devis envoyé par courriel"


def test_only_agents_have_a_desk(browser):
    page = browser()
    page.allow_console(r"status of 404")
    log_in(page, "sup")
    assert "/agent" not in str(page.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)"))
    assert page.goto("/agent") == 404 and page.text("h1") == "Page introuvable"
    agent = browser()
    log_in(agent, "dana", "/calls")
    assert agent.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)") == ["/agent", "/calls"]
    agent.allow_console(r"status of 404")
    assert agent.goto("/stats") == 404


def test_a_supervisor_with_a_phone_gets_listen_whisper_barge_on_the_wallboard(browser, portal):
    sue, sup = browser(), browser()
    log_in(sue, "sue", "/live")
    log_in(sup, "sup", "/live")
    linkedid = "1790000200.1"
    portal.feed({"Event": "QueueMemberAdded", "Queue": "accueil", "Interface": "PJSIP/202", "MemberName": "Ed Agent",
                 "Status": "1", "Paused": "0"})
    portal.feed({"Event": "Newchannel", "Linkedid": linkedid, "Uniqueid": linkedid, "CallerIDNum": "5145558888"})
    portal.feed({"Event": "AgentConnect", "Linkedid": linkedid, "Queue": "accueil", "Interface": "PJSIP/202",
                 "MemberName": "Ed Agent", "CallerIDNum": "5145558888", "DestChannel": "PJSIP/202-0000002b"})
    try:
        row = "#live-agents tr[data-state=on_call]"
        sue.wait(f"document.querySelectorAll(\"{row} td.supervise button\").length === 3")
        labels = sue.eval(f"[...document.querySelectorAll(\"{row} td.supervise button\")].map(b => b.textContent)")
        assert labels == ["Écouter", "Chuchoter", "Intervenir"]
        assert sue.eval("document.getElementById('supervise-no-phone')") is None
        # No Asterisk behind this portal: the API's refusal (502, AMI unreachable) is shown as it came.
        sue.allow_console(r"status of 502")
        sue.click(f"{row} button[data-mode=whisper]")
        sue.wait("document.getElementById('supervise-result').className === 'form-error'")
        message = sue.text("#supervise-result")
        assert message.startswith("Supervision refusée : Asterisk did not place the call: AMI 127.0.0.1:")
        assert "cannot log in as permanence-originate" in message
        # A supervisor without a phone has no buttons, and is told why.
        sup.wait(f"document.querySelector(\"{row}\") !== null")
        assert sup.eval(f"document.querySelectorAll(\"{row} td.supervise button\").length") == 0
        assert sup.text("#supervise-no-phone") == "Votre compte n'a pas de poste : la supervision se fait depuis un " \
                                                 "poste SIP."
    finally:
        portal.feed({"Event": "AgentComplete", "Linkedid": linkedid, "Queue": "accueil", "Interface": "PJSIP/202"})
        portal.feed({"Event": "Hangup", "Linkedid": linkedid, "Uniqueid": linkedid})
