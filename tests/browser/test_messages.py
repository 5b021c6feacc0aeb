"""The messages pages in Chromium: client 1000 filters its messages by a word and by status, opens the
one delivered and reads its history as a timeline in order, the confirming party named; the other
client's message is the 404 page; an admin takes a failed message in hand from its page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import connect, contacts, messages
from store.clock import iso

from .conftest import ARTIFACTS, log_in
from .seed import TIMELINE_CALL

WORD = "Rimouski"  # in the first test's messages only: no other test's messages for client 1000 have it
DENISE = "+15145550299"
ROWS = "[...document.querySelectorAll('#messages tbody tr')].map(r => Number(r.dataset.message))"
HISTORY = "[...document.querySelectorAll('#history li')].map(li => li.dataset.result)"


def _seed(portal, word: str) -> dict[str, int]:
    """A delivered message on the seed's call (SMS unanswered, then the phone call Denise confirmed), a
    pending one with the same word, a failed one, and a message of client 2000."""
    now = datetime.now(UTC).replace(microsecond=0)

    def at(minutes: int) -> str:
        return iso(now - timedelta(minutes=minutes))

    db = connect(portal.store_path)
    try:
        with db.conn:
            denise = contacts.add_contact(db, "1000", "Denise Côté", mobile="5145550299", sms=True,
                                          email="denise@example.org")
            delivered = messages.create_message(db, "1000", "dana", linkedid=TIMELINE_CALL, at=at(60), fields={
                "name": "Jeanne Roy", "city": word, "nature": "fuite au sous-sol"})
            add = messages.add_history
            add(db, delivered.id, "sms", "sent", at=at(59), step=0, recipient=DENISE, contact_id=denise.id, code="K7")
            add(db, delivered.id, "sms", "no_reply", at=at(54), step=0)
            add(db, delivered.id, "phone", "sent", at=at(54), step=1, recipient=DENISE, contact_id=denise.id,
                detail="answered")
            add(db, delivered.id, "phone", "confirmed", at=at(53), step=1, recipient=DENISE, confirmed_by=DENISE,
                code="1")
            db.execute("UPDATE messages SET status = 'delivered', step = 1, deadline = NULL, confirmed_at = ?, "
                       "confirmed_by = ? WHERE id = ?", [at(53), DENISE, delivered.id])
            pending = messages.create_message(db, "1000", "dana", at=at(30), fields={"city": word, "nature": "devis"})
            failed = messages.create_message(db, "1000", "root", at=at(20), text=f"{word}: personne n'a répondu")
            db.execute("UPDATE messages SET status = 'failed', step = 3, deadline = NULL WHERE id = ?", [failed.id])
            add(db, failed.id, "alert", "alerted", at=at(19), step=3, recipient="dispatcher")
            other = messages.create_message(db, "2000", "root", at=at(10), text="Garage Tremblay: rappeler")
        return {"delivered": delivered.id, "pending": pending.id, "failed": failed.id, "other": other.id}
    finally:
        db.close()


def test_a_client_filters_its_messages_and_reads_a_timeline(browser, portal):
    ids = _seed(portal, WORD)
    page = browser()
    log_in(page, "alice", "/messages")
    assert page.eval("document.querySelector('header nav a[aria-current=page]').pathname") == "/messages"
    page.fill("#filters input[name=q]", WORD)
    page.click("#filters button[type=submit]")
    page.wait_path(r"^/messages\?")
    assert page.eval(ROWS) == [ids["failed"], ids["pending"], ids["delivered"]]
    page.select("#filters select[name=status]", "delivered")
    page.click("#filters button[type=submit]")
    page.wait("document.querySelectorAll('#messages tbody tr').length === 1")
    assert page.eval(ROWS) == [ids["delivered"]]
    assert page.eval("document.querySelector('#filters input[name=q]').value") == WORD  # kept
    row = f"#messages tr[data-message='{ids['delivered']}']"
    assert page.text(f"{row} .msg-status").startswith(f"confirmé par Denise Côté ({DENISE})")
    assert "Jeanne Roy" in page.text(f"{row} td.caller") and WORD in page.text(f"{row} td.summary")

    page.click(f"{row} td:first-child a")
    page.wait_path(f"^/messages/{ids['delivered']}$")
    assert page.text("h1") == f"Message n° {ids['delivered']}"
    assert page.eval(HISTORY) == ["sent", "no_reply", "sent", "confirmed"]
    entries = page.eval("[...document.querySelectorAll('#history li')].map(li => li.innerText)")
    assert "SMS" in entries[0] and "Denise Côté" in entries[0] and DENISE in entries[0]
    assert "Appel téléphonique" in entries[3] and f"par Denise Côté {DENISE}" in entries[3]
    # The timeline is drawn: a dot per entry, green for the confirmation (the style sheet's --answered).
    dot = page.eval("getComputedStyle(document.querySelector('#history li[data-result=confirmed]'), '::before')"
                    ".backgroundColor")
    assert dot == "rgb(46, 125, 50)"
    assert page.eval("document.getElementById('protocol')") is None  # the steps are for staff
    page.screenshot(ARTIFACTS / "test_a_client_filters_its_messages_and_reads_a_timeline-timeline.png")
    page.click("#call-link")
    page.wait_path(f"^/calls/{TIMELINE_CALL}$")
    page.click(f"#messages article[data-message='{ids['delivered']}'] h3 a")  # and back from the call's page
    page.wait_path(f"^/messages/{ids['delivered']}$")

    page.allow_console(r"status of 404")
    assert page.goto(f"/messages/{ids['other']}") == 404
    assert page.text("h1") == "Page introuvable" and "Garage" not in str(page.eval("document.body.innerText"))


def test_an_admin_takes_a_failed_message_in_hand_from_its_page(browser, portal):
    ids = _seed(portal, "Gaspé")
    page = browser()
    log_in(page, "root", f"/messages/{ids['failed']}")
    assert page.eval(HISTORY) == ["alerted"]
    assert page.eval("[...document.querySelectorAll('#protocol li')].map(li => li.dataset.step)") == \
        ["1", "2", "3", "4"]
    page.click("form.acknowledge button[type=submit]")
    page.wait("document.querySelector('#history li[data-result=acknowledged]') !== null")
    assert page.eval(HISTORY) == ["alerted", "acknowledged"]
    assert "root" in page.text("#history li[data-result=acknowledged] .party")
    assert page.eval("document.querySelector('form.acknowledge')") is None
