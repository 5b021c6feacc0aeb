"""The on-call and InfoPages pages in Chromium: who is on call now is who_is_on_call's answer, the calendar
shows four weeks with today's handover and tomorrow's override, the feed button gives an address that a
calendar application (no cookie) can fetch and whose events match who_is_on_call; the English page; another
client gets the 404 page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import recurring_ical_events

from store import connect, oncall_schedules
from store import contacts as store_contacts
from store import oncall as store_oncall

from .conftest import log_in
from .seed import TEAM


def who(portal, at: datetime) -> str | None:
    db = connect(portal.store_path)
    try:
        found = store_oncall.who_is_on_call(db, "1000", at)
        return found.name if found else None
    finally:
        db.close()


def test_the_calendar_and_the_feed(browser, portal):
    page = browser()
    log_in(page, "alice", "/oncall")
    now_name = page.text("#oncall-now .value")
    assert now_name == who(portal, datetime.now(UTC)) and now_name in TEAM[:2]
    days = page.eval("[...document.querySelectorAll('#oncall-calendar > li')].map(d => d.dataset.date)")
    assert len(days) == 28
    today = page.eval("document.querySelector('#oncall-calendar > li.today').dataset.date")
    assert today in days
    # Each entry of the calendar names who_is_on_call's contact at its start (and just before its end).
    entries = page.eval("[...document.querySelectorAll('#oncall-calendar li.entry')].map(e => "
                        "({from: e.dataset.from, to: e.dataset.to, name: e.querySelector('.contact, .nobody')"
                        ".textContent}))")
    assert len(entries) >= 28
    for entry in entries:
        start = datetime.fromisoformat(entry["from"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(entry["to"].replace("Z", "+00:00"))
        assert who(portal, start) == entry["name"] == who(portal, end - timedelta(seconds=1)), entry
    overrides = page.eval("[...document.querySelectorAll('#oncall-calendar li.entry.override .contact')]"
                          ".map(c => c.textContent)")
    assert overrides == [TEAM[2]]
    # A subscription address: fetched without the session, as a calendar application does.
    page.click("#feed-new")
    page.wait("!document.getElementById('feed-url').hidden")
    url = page.text("#feed-url code")
    assert url.startswith(portal.url + "/api/oncall.ics?token=")
    text = page.eval(f"fetch({url!r}, {{credentials: 'omit'}}).then(r => r.status === 200 ? r.text() : "
                     f"'status ' + r.status)")
    cal = icalendar.Calendar.from_ical(text)
    moment = datetime.now(UTC) - timedelta(days=6)
    while moment < datetime.now(UTC) + timedelta(days=30):
        found = [str(e["SUMMARY"]) for e in recurring_ical_events.of(cal).at(moment)]
        assert found == [f"Garde : {who(portal, moment)}"], moment
        moment += timedelta(hours=7, minutes=13)
    assert page.eval("fetch('/api/oncall.ics?token=wrong', {credentials: 'omit'}).then(r => r.status)") == 404
    page.allow_console(r"status of 404")


def directory(portal) -> list[str]:
    db = connect(portal.store_path)
    try:
        return sorted(c.name for c in store_contacts.list_contacts(db, "1000"))
    finally:
        db.close()


def test_english_infopages_and_the_directory(browser, portal):
    page = browser("en-CA")
    log_in(page, "alice", "/infopages")
    assert page.eval("[...document.querySelectorAll('#infopages section')].map(s => s.dataset.kind)") == \
        ["instructions", "hours"]
    assert page.text("section[data-kind=instructions] h2") == "Instructions Protocol"
    assert page.eval("document.querySelector('section[data-kind=hours] h2').lang") == "fr"  # French only
    # Every contact of the client, the seed's team and any another test added to the shared portal.
    listed = page.eval("[...document.querySelectorAll('#contacts tbody th')].map(t => t.textContent)")
    assert listed == directory(portal) and set(TEAM) <= set(listed)
    page.goto("/oncall")
    assert page.text("#oncall-now .label") == "On call now"


def test_another_client_gets_the_404_page(browser):
    page = browser()
    page.allow_console(r"status of 404")
    log_in(page, "bob", "/oncall")
    assert page.text("#oncall-now .value") == "Personne"
    assert page.goto("/oncall?client=1000") == 404
    assert page.goto("/infopages?client=1000") == 404
    assert "Ana" not in page.text("main")


def test_the_client_picks_another_schedule_and_its_feed(browser, portal):
    """Client 1000 with a second schedule, `medical` (Chloé on call for good): the page offers both, the
    picked one shows its own contact now and in the calendar, and its feed button gives that schedule's
    feed; client 2000 lacks it: the 404 page."""
    db = connect(portal.store_path)
    try:
        oncall_schedules.add_schedule(db, "1000", "medical", "Médical")
        chloe = next(c for c in store_contacts.list_contacts(db, "1000") if c.name == TEAM[2])
        store_oncall.set_rotation(db, "1000", "weekly", "00:00", "2020-01-06", [chloe.id], "medical")
    finally:
        db.close()
    try:
        page = browser()
        log_in(page, "alice", "/oncall")
        assert page.eval("[...document.querySelectorAll('#schedule-choice option')].map(o => [o.value, o.text])") \
            == [["default", "default"], ["medical", "Médical"]]
        assert page.text("#oncall-now .value") == who(portal, datetime.now(UTC))  # the default one first
        page.select("#schedule-choice select", "medical")
        page.click("#schedule-choice button")
        page.wait_path(r"^/oncall\?schedule=medical$")
        assert page.text("#oncall-now .value") == TEAM[2]
        names = page.eval("[...document.querySelectorAll('#oncall-calendar li.entry .contact')]"
                          ".map(c => c.textContent)")
        assert names and set(names) == {TEAM[2]}
        page.click("#feed-new")
        page.wait("!document.getElementById('feed-url').hidden")
        url = page.text("#feed-url code")
        text = page.eval(f"fetch({url!r}, {{credentials: 'omit'}}).then(r => r.text())")
        summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}
        assert summaries == {f"Garde : {TEAM[2]}"}

        other = browser()
        other.allow_console(r"status of 404")
        log_in(other, "bob", "/oncall")
        assert other.eval("document.getElementById('schedule-choice')") is None  # bob's client has one only
        assert other.goto("/oncall?schedule=medical") == 404
        assert TEAM[2] not in other.text("main")
    finally:
        db = connect(portal.store_path)
        try:
            oncall_schedules.remove_schedule(db, "1000", "medical")
        finally:
            db.close()
