"""The live wallboard in Chromium: a supervisor's page follows GET /api/live (Server-Sent Events) as
the AMI events arrive; a client user gets the 404 page."""

from __future__ import annotations

from .conftest import log_in

QUEUE_ROW = "#live-queues tr[data-queue='accueil']"
# An agent no other test feeds: the portal's live state is shared by the browser tests (the desk's leave
# agent 201 in wrap-up).
AGENT_ROW = "#live-agents tr[data-agent='207']"


def test_the_wallboard_follows_the_live_view(browser, portal):
    page = browser()
    log_in(page, "sup", "/live")
    page.wait("document.getElementById('wallboard').dataset.version !== undefined")
    assert page.text("#live-status") == "En direct"
    portal.feed({"Event": "QueueMemberAdded", "Queue": "accueil", "Interface": "PJSIP/207",
                 "MemberName": "Agent 207", "Status": "1", "Paused": "0"})
    portal.feed({"Event": "Newchannel", "Linkedid": "1790000000.1", "Uniqueid": "1790000000.1",
                 "CallerIDNum": "+15145559999"})
    portal.feed({"Event": "QueueCallerJoin", "Linkedid": "1790000000.1", "Queue": "accueil"})
    page.wait(f"document.querySelector(\"{QUEUE_ROW} td.waiting\")?.textContent === '1'")
    assert page.text("#count-waiting") == "1" and page.text("#count-calls") == "1"
    page.wait(f"document.querySelector(\"{AGENT_ROW}\")?.dataset.state === 'ready'")
    assert page.text(f"{AGENT_ROW} td.state") == "Disponible"
    assert "+15145559999" in page.text("#live-calls tr[data-linkedid='1790000000.1']")
    portal.feed({"Event": "AgentConnect", "Queue": "accueil", "Interface": "PJSIP/207", "MemberName": "Agent 207",
                 "Linkedid": "1790000000.1"})
    page.wait(f"document.querySelector(\"{AGENT_ROW}\")?.dataset.state === 'on_call'")
    page.wait("document.getElementById('count-waiting').textContent === '0'")  # answered: out of the queue
    assert page.text("#live-calls tr[data-linkedid='1790000000.1'] td:nth-child(3)") == "En conversation"
    # The queue keeps its row (its agents, its day), nobody waiting in it now.
    assert (page.text(f"{QUEUE_ROW} td.waiting"), page.text(f"{QUEUE_ROW} td.longest")) == ("0", "—")
    streams = [r for r in page.events()["responses"] if r["url"].endswith("/api/live")]
    assert [r["status"] for r in streams] == [200]



def test_a_paused_agent_shows_its_reason_in_the_viewers_language(browser, portal):
    """The reason is a code in AMI's events; the wallboard shows its label (a reason added as data too)."""
    portal.feed({"Event": "QueueMemberAdded", "Queue": "accueil", "Interface": "PJSIP/208",
                 "MemberName": "Agent 208", "Status": "1", "Paused": "1", "PausedReason": "lunch"})
    portal.feed({"Event": "QueueMemberAdded", "Queue": "accueil", "Interface": "PJSIP/209",
                 "MemberName": "Agent 209", "Status": "5", "Paused": "0"})
    for locale, lunch, unreachable in (("fr-FR", "Repas", "Téléphone injoignable"),
                                       ("en-US", "Lunch", "Phone unreachable")):
        page = browser(locale)
        log_in(page, "sup", "/live")
        row = "#live-agents tr[data-agent='208']"
        page.wait(f"document.querySelector(\"{row}\")?.dataset.state === 'not_ready'")
        assert page.text(f"{row} td.reason") == lunch
        page.wait("document.querySelector(\"#live-agents tr[data-agent='209'] td.reason\")?.textContent !== ''")
        assert page.text("#live-agents tr[data-agent='209'] td.reason") == unreachable

def test_the_wallboard_shows_each_queues_day_and_flags_one_under_its_target(browser, portal):
    """Calls the listener wrote today, in shared queues no other test uses (calls of no client: no
    client's lists or statistics count them): offered, answered, service level against the queue's
    own threshold, and the warning class on the queue under its target only."""
    from datetime import UTC, datetime, timedelta

    from store import CallRecord, calls, queues
    from store.clock import iso

    def seed(db) -> None:
        queues.save_queue(db, queues.Queue("mur", None, label="Mur", service_level_s=10))
        queues.save_queue(db, queues.Queue("mur-ok", None, service_level_s=10))
        started = iso(datetime.now(UTC) - timedelta(seconds=5))
        for linkedid, queue, disposition, wait in (("1790000300.1", "mur", "answered", 5),
                                                   ("1790000300.2", "mur", "answered", 30),
                                                   ("1790000300.3", "mur", "abandoned_queue", 40),
                                                   ("1790000300.4", "mur-ok", "answered", 3)):
            calls.save_call(db, CallRecord(linkedid=linkedid, started_at=started, disposition=disposition,
                                           queue=queue, wait_s=wait, talk_s=90 if disposition == "answered" else None))

    portal._run(portal.store.write(seed)).result(5)
    page = browser()
    log_in(page, "sup", "/live")
    row, ok = "#live-queues tr[data-queue='mur']", "#live-queues tr[data-queue='mur-ok']"
    page.wait(f"document.querySelector(\"{row} td.offered\")?.textContent === '3'")
    assert page.text(f"{row} td.queue") == "mur — Mur"
    assert (page.text(f"{row} td.answered"), page.text(f"{row} td.abandoned")) == ("2", "1")
    squeeze = "textContent.replace(/\\s/g, '')"
    # One of three within the queue's 10 s: 33,3 %, under the 80 % target.
    assert page.eval(f"document.querySelector(\"{row} td.sl\").{squeeze}") == "33,3%"
    assert page.eval(f"document.querySelector(\"{row}\").classList.contains('warn-sl')") is True
    assert page.eval(f"document.querySelector(\"{row} td.sl\").classList.contains('below-target')") is True
    assert page.eval(f"document.querySelector(\"{ok} td.sl\").{squeeze}") == "100%"
    assert page.eval(f"document.querySelector(\"{ok}\").classList.contains('warn-sl')") is False
    assert page.text(f"{row} td.aht") == "1 min 30 s"
    assert page.eval(f"getComputedStyle(document.querySelector(\"{row} td.sl\")).fontWeight") == "600"
    # English labels from the catalogue.
    english = browser("en-US")
    log_in(english, "sup", "/live")
    english.wait(f"document.querySelector(\"{row} td.offered\")?.textContent === '3'")
    headers = english.eval("[...document.querySelectorAll('#live-queues thead th')].map(th => th.textContent)")
    assert {"Today", "Offered", "Service level", "AHT", "Logged in"} <= set(headers)


def test_a_caller_waiting_past_the_queues_threshold_flags_its_row(browser, portal):
    """The longest wait counts up in the page; past the queue's threshold (1 s here) the row is marked."""
    from store import queues

    portal._run(portal.store.write(lambda db: queues.save_queue(db, queues.Queue(
        "mur-attente", None, service_level_s=1)))).result(5)
    page = browser()
    log_in(page, "sup", "/live")
    row = "#live-queues tr[data-queue='mur-attente']"
    page.wait(f"document.querySelector(\"{row}\") !== null")
    assert page.eval(f"document.querySelector(\"{row}\").classList.contains('warn-wait')") is False
    linkedid = "1790000310.1"
    portal.feed({"Event": "Newchannel", "Linkedid": linkedid, "Uniqueid": linkedid, "CallerIDNum": "+15145550310"})
    portal.feed({"Event": "QueueCallerJoin", "Linkedid": linkedid, "Queue": "mur-attente"})
    try:
        page.wait(f"document.querySelector(\"{row} td.waiting\")?.textContent === '1'")
        page.wait(f"document.querySelector(\"{row}\").classList.contains('warn-wait')")
        assert page.eval(f"document.querySelector(\"{row} td.longest\").classList.contains('over')") is True
        assert page.eval(f"document.querySelector(\"{row}\").classList.contains('warn-sl')") is False  # no calls
    finally:  # the portal's live state is shared: the caller leaves
        portal.feed({"Event": "Hangup", "Linkedid": linkedid, "Uniqueid": linkedid})
    page.wait(f"document.querySelector(\"{row} td.waiting\")?.textContent === '0'")
    assert page.eval(f"document.querySelector(\"{row}\").classList.contains('warn-wait')") is False


def test_a_client_user_has_no_wallboard(browser):
    page = browser()
    page.allow_console(r"status of 404")
    log_in(page, "alice")
    assert "/live" not in str(page.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)"))
    assert page.goto("/live") == 404 and page.text("h1") == "Page introuvable"


def test_a_message_that_reached_nobody_is_on_the_wallboard_until_an_admin_takes_it_in_hand(browser, portal):
    from store import dispatch, messages
    from store.clock import now_iso

    def failed(db) -> int:
        message = messages.create_message(db, "1000", "root", text="Fuite d'eau, rappeler M. Tremblay")
        db.execute("UPDATE messages SET status = 'dispatching', step = 0 WHERE id = ?", [message.id])
        dispatch.alert(db, dispatch.current(db, message.id), 1, now_iso())
        return message.id

    message_id = portal._run(portal.store.write(failed)).result(5)

    async def publish() -> None:  # what the dispatcher does after each look
        portal.live.set_alerts(await portal.store.read(dispatch.alerts))

    portal._run(publish()).result(5)
    row = f"#live-alerts tr[data-message='{message_id}']"
    watcher = browser()
    log_in(watcher, "sup", "/live")  # a supervisor sees it, and has no button to take it
    watcher.wait(f"document.querySelector(\"{row}\") !== null")
    assert "Fuite d'eau, rappeler M. Tremblay" in watcher.text(row)
    assert watcher.eval(f"document.querySelectorAll(\"{row} button\").length") == 0
    page = browser()
    log_in(page, "root", "/live")
    page.wait(f"document.querySelector(\"{row} button\") !== null")
    assert page.text(f"{row} button") == "Je m'en occupe"
    page.click(f"{row} button")
    page.wait(f"document.querySelector(\"{row}\") === null")
    acknowledged = portal._run(portal.store.read(
        lambda db: db.execute("SELECT acknowledged_by FROM messages WHERE id = ?", [message_id]).fetchone()[0]))
    assert acknowledged.result(5) == "root"
    portal._run(publish()).result(5)  # the dispatcher's next look: gone for everyone
    watcher.wait(f"document.querySelector(\"{row}\") === null")
