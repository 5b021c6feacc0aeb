"""The admin directory page in Chromium, on client 2000 (whose on-call schedule the other tests expect
empty now): a contact added through the form (its mobile shown in E.164), a refused number named on the
form, a rotation and an override set (in 2030) that /api/oncall then answers, InfoPages saved and shown
to the client's page, the rotation removed after its confirmation."""

from __future__ import annotations

import json

from store import connect, contacts, oncall_schedules

from .conftest import log_in

BASE = "/api/admin/clients/2000"
ADD = f"form[data-action='{BASE}/contacts']"
ROTATION = f"form[data-method=PUT][data-action='{BASE}/oncall/rotation']"
OVERRIDE = f"form[data-action='{BASE}/oncall/overrides']"
PAGES = f"form[data-action='{BASE}/infopages']"


def _on_call(page, at: str) -> object:
    return page.eval(f"fetch('/api/oncall?client=2000&at={at}').then(r => r.json())"
                     ".then(b => b.contact ? b.contact.name : null)")


def test_an_admin_edits_a_clients_directory_schedule_and_infopages(browser):
    page = browser("en-US")
    page.allow_console(r"status of 400")  # the refused number below
    log_in(page, "root", "/admin/clients")
    page.click("#admin-clients tr[data-code='2000'] a.directory")
    page.wait_path("^/admin/clients/2000/directory$")
    page.fill(f"{ADD} input[name=name]", "Dina Roy")
    page.fill(f"{ADD} input[name=mobile]", "514 555 0303")
    page.select(f"{ADD} select[name=sms]", "true")
    page.click(f"{ADD} button")
    page.wait("document.querySelector('#admin-contacts tbody tr') !== null")
    row = "#admin-contacts tbody tr"
    assert page.text(f"{row} th") == "Dina Roy" and page.text(f"{row} td.mobile") == "+15145550303"
    dina = page.eval(f"document.querySelector('{row}').dataset.contact")
    # Refused by the API: its message on the form, nothing added.
    page.fill(f"{ADD} input[name=name]", "Eve")
    page.fill(f"{ADD} input[name=mobile]", "555")
    page.click(f"{ADD} button")
    page.wait(f"!document.querySelector(\"{ADD} .form-error\").hidden")
    assert page.text(f"{ADD} .form-error").startswith("mobile: ")
    assert page.eval("document.querySelectorAll('#admin-contacts tbody tr').length") == 1

    page.select(f"{ROTATION} select[name=period]", "weekly")
    page.fill(f"{ROTATION} input[name=handover]", "09:30")
    page.fill(f"{ROTATION} input[name=starts_on]", "2030-01-07")
    page.fill(f"{ROTATION} input[name=contacts]", f"[{dina}]")
    page.click(f"{ROTATION} button")
    page.wait(f"document.querySelector(\"{ROTATION} input[name=starts_on]\")?.defaultValue === '2030-01-07'")
    assert _on_call(page, "2030-01-07T09:29") is None and _on_call(page, "2030-01-07T09:30") == "Dina Roy"
    page.fill(f"{OVERRIDE} input[name=from]", "2030-02-01T08:00")
    page.fill(f"{OVERRIDE} input[name=to]", "2030-02-02T08:00")
    page.select(f"{OVERRIDE} select[name=reason]", "holiday")
    page.click(f"{OVERRIDE} button")
    page.wait("document.querySelector('#admin-overrides tbody tr') !== null")
    assert page.eval("[...document.querySelectorAll('#admin-overrides tbody td')].slice(0, 4).map(t => "
                     "t.textContent)") == ["2030-02-01T08:00", "2030-02-02T08:00", "Dina Roy", "holiday"]

    sections = [{"kind": "phones", "title": {"en": "Numbers"}, "body": {"en": "Shop: 416 555 0199"}}]
    page.fill(f"{PAGES} textarea[name=sections]", json.dumps(sections))
    page.click(f"{PAGES} button")
    page.wait(f"document.querySelector(\"{PAGES} textarea\")?.defaultValue.includes('Shop: 416')")
    page.goto("/infopages?client=2000")
    assert page.text("section[data-kind=phones] h2") == "Phone numbers Numbers"

    page.goto("/admin/clients/2000/directory")
    page.click(f"form.remove[data-action='{BASE}/oncall/rotation'] button")
    page.wait(f"document.querySelector(\"form.remove[data-action='{BASE}/oncall/rotation']\") === null "
              "&& document.readyState === 'complete'")
    assert _on_call(page, "2030-01-07T09:30") is None and _on_call(page, "2030-02-01T12:00") == "Dina Roy"
    assert page.events()["dialogs"] == ["Remove the rotation? Nobody will be on call outside overrides."]


def test_an_admin_adds_a_schedule_sets_its_rotation_and_removes_it(browser, portal):
    """Client 2000 gets a second on-call schedule, `night`, from the page; its rotation, set on the page of
    that schedule, is what /api/oncall answers for it (not for `default`); removed after its confirmation."""
    db = connect(portal.store_path)
    try:
        nadia = contacts.add_contact(db, "2000", "Nadia Nuit", mobile="514 555 0304").id
    finally:
        db.close()
    schedules = f"form[data-method=POST][data-action='{BASE}/oncall/schedules']"
    night_rotation = f"form[data-method=PUT][data-action='{BASE}/oncall/rotation?schedule=night']"
    try:
        page = browser("en-US")
        log_in(page, "root", "/admin/clients/2000/directory")
        page.fill(f"{schedules} input[name=name]", "night")
        page.fill(f"{schedules} input[name=label]", "Night line")
        page.click(f"{schedules} button")
        page.wait("document.querySelector('#admin-schedules tr[data-schedule=night]') !== null")
        assert page.text("#admin-schedules tr[data-schedule=night] td") == "Night line"
        page.click("#admin-schedules tr[data-schedule=night] a")
        page.wait_path(r"^/admin/clients/2000/directory\?schedule=night$")
        assert page.text("#admin-schedule-shown") == "Rotation and overrides of schedule night"
        page.fill(f"{night_rotation} input[name=starts_on]", "2030-01-07")
        page.fill(f"{night_rotation} input[name=handover]", "20:00")
        page.fill(f"{night_rotation} input[name=contacts]", f"[{nadia}]")
        page.click(f"{night_rotation} button")
        page.wait(f"document.querySelector(\"{night_rotation} input[name=starts_on]\")?.defaultValue === '2030-01-07'"
                  " && location.search === '?schedule=night'")
        on_call = ("fetch('/api/oncall?client=2000&at=2030-01-08T12:00{}').then(r => r.json())"
                   ".then(b => b.contact ? b.contact.name : null)")
        assert page.eval(on_call.format("&schedule=night")) == "Nadia Nuit"
        assert page.eval(on_call.format("")) != "Nadia Nuit"  # the default schedule's own
        page.click("#admin-schedules tr[data-schedule=night] form.remove button")
        page.wait("document.querySelector('#admin-schedules tr[data-schedule=night]') === null "
                  "&& document.readyState === 'complete'")
        assert page.events()["dialogs"] == ["Remove this schedule with its rotation and overrides?"]
        assert page.goto("/admin/clients/2000/directory?schedule=night") == 404
        page.allow_console(r"status of 404")
    finally:
        db = connect(portal.store_path)
        try:
            if oncall_schedules.get_schedule(db, "2000", "night") is not None:
                oncall_schedules.remove_schedule(db, "2000", "night")
            contacts.remove_contact(db, "2000", nadia)
        finally:
            db.close()
