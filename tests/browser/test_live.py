"""The live wallboard in Chromium: a supervisor's page follows GET /api/live (Server-Sent Events) as
the AMI events arrive; a client user gets the 404 page."""

from __future__ import annotations

from .conftest import log_in

QUEUE_ROW = "#live-queues tr[data-queue='accueil']"


def test_the_wallboard_follows_the_live_view(browser, portal):
    page = browser()
    log_in(page, "sup", "/live")
    page.wait("document.getElementById('wallboard').dataset.version !== undefined")
    assert page.text("#live-status") == "En direct"
    portal.feed({"Event": "QueueMemberAdded", "Queue": "accueil", "Interface": "PJSIP/201",
                 "MemberName": "Agent 201", "Status": "1", "Paused": "0"})
    portal.feed({"Event": "Newchannel", "Linkedid": "1790000000.1", "Uniqueid": "1790000000.1",
                 "CallerIDNum": "+15145559999"})
    portal.feed({"Event": "QueueCallerJoin", "Linkedid": "1790000000.1", "Queue": "accueil"})
    page.wait(f"document.querySelector(\"{QUEUE_ROW} td.waiting\")?.textContent === '1'")
    assert page.text("#count-waiting") == "1" and page.text("#count-calls") == "1"
    assert page.text("#live-agents tr[data-state=ready] td.state") == "Disponible"
    assert "+15145559999" in page.text("#live-calls tr[data-linkedid='1790000000.1']")
    portal.feed({"Event": "AgentConnect", "Queue": "accueil", "Interface": "PJSIP/201", "MemberName": "Agent 201",
                 "Linkedid": "1790000000.1"})
    page.wait("document.querySelector('#live-agents tr[data-state=on_call]') !== null")
    page.wait("document.getElementById('count-waiting').textContent === '0'")  # answered: out of the queue
    assert page.text("#live-calls tr[data-linkedid='1790000000.1'] td:nth-child(3)") == "En conversation"
    assert page.text("#live-queues td.empty") == "Rien pour l'instant."
    streams = [r for r in page.events()["responses"] if r["url"].endswith("/api/live")]
    assert [r["status"] for r in streams] == [200]


def test_a_client_user_has_no_wallboard(browser):
    page = browser()
    page.allow_console(r"status of 404")
    log_in(page, "alice")
    assert "/live" not in str(page.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)"))
    assert page.goto("/live") == 404 and page.text("h1") == "Page introuvable"
