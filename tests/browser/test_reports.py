"""The reports page in Chromium: client 1000's past daily report is listed and its CSV downloads as it was
kept (not by the other client); the custom report form grouped by a script field shows the rows of
GET /api/reports — the messages per city counted here — and its CSV link gives the same rows; the English
page; another client's code is the 404 page."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from reports.csvtext import messages_csv
from store import connect, messages
from store import reports as daily
from store.clock import now_iso

from .conftest import log_in

CITIES = ("Laval", "Laval", "Québec", None)  # the messages taken for client 1000 (None: no city field)


def seed_reports(portal) -> tuple[int, str]:
    """Four messages for client 1000 now, and its daily report of them, as the daily-reports task keeps it."""
    db = connect(portal.store_path)
    try:
        with db.conn:
            settings = daily.set_settings(db, "1000", "07:00", [], ["alice@example.org"], now=now_iso())
            for n, city in enumerate(CITIES):
                messages.create_message(db, "1000", "root", text=f"report test {n}",
                                        fields={"nature": "info", **({"city": city} if city else {})})
            held = daily.messages_after(db, "1000", settings.last_message_id)
            text = messages_csv(held, ZoneInfo("America/Toronto"))
            report = daily.keep_report(db, settings, now_iso(), now_iso(), held, text, ["alice@example.org"],
                                       "sent")
        return report.id, text
    finally:
        db.close()


ROWS = """[...document.querySelectorAll('#report-rows tbody tr')].map(tr => Object.fromEntries(
    [...tr.querySelectorAll('td')].map(td => [td.dataset.key || td.dataset.measure,
        td.dataset.key ? (td.querySelector('.none') ? null : td.textContent) : td.dataset.value])))"""


def test_daily_reports_and_a_custom_report_by_city(browser, portal):
    report_id, kept = seed_reports(portal)
    page = browser()
    log_in(page, "alice", "/reports")
    assert page.eval("[...document.querySelectorAll('#daily-reports tbody tr')].map(r => r.dataset.report)") \
        == [str(report_id)]
    href = page.eval(f"document.querySelector('#daily-reports tr[data-report=\"{report_id}\"] a.download')"
                     ".getAttribute('href')")
    assert href == f"/api/reports/daily/{report_id}.csv"
    assert page.eval(f"fetch({href!r}).then(r => r.text())") == kept
    assert [r["fields.city"] for r in csv.DictReader(io.StringIO(kept))] == ["Laval", "Laval", "Québec", ""]

    page.select("#report-form select[name=group] >> nth=0", "fields.city")
    page.click("#report-form button[type=submit]")
    page.wait_path(r"^/reports\?")
    page.wait("document.querySelector('#report-rows') !== null")
    rows = page.eval(ROWS)
    by_city = {r["fields.city"]: int(r["messages"]) for r in rows}
    assert by_city["Laval"] == 2 and by_city["Québec"] == 1 and by_city[None] >= 1
    # The table is GET /api/reports' rows; the CSV link gives them again.
    csv_url = page.eval("document.getElementById('report-csv').getAttribute('href')")
    assert "format=csv" in csv_url and "group=fields.city" in csv_url
    api = page.eval(f"fetch({csv_url.replace('&format=csv', '')!r}).then(r => r.json())")
    assert [(r["fields.city"], r["messages"], r["calls"], r["answered"]) for r in api["rows"]] == \
        [(r["fields.city"], int(r["messages"]), int(r["calls"]), int(r["answered"])) for r in rows]
    lines = list(csv.DictReader(io.StringIO(page.eval(f"fetch({csv_url!r}).then(r => r.text())"))))
    assert [(r["fields.city"] or None, int(r["messages"])) for r in lines] == \
        [(r["fields.city"], int(r["messages"])) for r in rows]

    bob = browser()
    bob.allow_console(r"status of 404")
    log_in(bob, "bob", "/reports")
    assert bob.eval("document.querySelector('#daily-reports')") is None  # none of client 1000's
    assert bob.eval(f"fetch({href!r}).then(r => r.status)") == 404
    assert bob.goto("/reports?client=1000") == 404


def test_the_english_page_and_a_refused_key(browser):
    page = browser("en-GB")
    page.allow_console(r"status of 400")
    log_in(page, "alice", "/reports")
    assert page.text("h1") == "Reports" and page.text("#custom h2") == "Custom report"
    page.goto("/reports?group=colour")
    assert "“Group by”" in page.text("p.error")


def test_an_admin_sets_a_clients_daily_report(browser, portal):
    page = browser()
    page.allow_console(r"status of 400")
    log_in(page, "root", "/reports?client=2000")
    page.fill("form.daily-settings input[name=at]", "06:45")
    page.fill("form.daily-settings input[name=roles]", '["Gérante"]')
    page.fill("form.daily-settings input[name=emails]", '["Direction@Example.org"]')
    page.click("form.daily-settings button[type=submit]")
    # Saved, the page comes back with the settings as the store keeps them (the domain normalised).
    page.wait("document.querySelector('form.daily-settings input[name=emails]').value === "
              "'[\"Direction@example.org\"]'")
    db = connect(portal.store_path)
    try:
        settings = daily.get_settings(db, "2000")
    finally:
        db.close()
    assert settings is not None and (settings.at, settings.roles, settings.emails) == (
        "06:45", ("Gérante",), ("Direction@example.org",))
    assert page.eval("document.querySelector('form.daily-settings input[name=at]').value") == "06:45"
    page.fill("form.daily-settings input[name=emails]", '["not an address"]')
    page.click("form.daily-settings button[type=submit]")
    page.wait("!document.querySelector('form.daily-settings .form-error').hidden")
    assert page.text("form.daily-settings .form-error").startswith("emails:")
    # Only admins see the form, and a client user only its own client.
    alice = browser()
    log_in(alice, "alice", "/reports")
    assert alice.eval("document.querySelector('form.daily-settings')") is None
