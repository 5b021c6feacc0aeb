"""The admin pages in Chromium: an admin reads clients, DIDs and menus; a supervisor has none of them."""

from __future__ import annotations

from .conftest import log_in
from .seed import MENU_VERSIONS


def test_an_admin_reads_clients_dids_and_menus(browser):
    page = browser("en-US")
    log_in(page, "root")
    nav = page.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)")
    assert nav == ["/calls", "/messages", "/stats", "/reports", "/oncall", "/infopages", "/live", "/admin/clients",
                   "/admin/dids", "/admin/menus", "/admin/users", "/admin/agents", "/admin/queues", "/admin/asterisk"]
    page.click("header nav a[href='/admin/clients']")
    page.wait_path("^/admin/clients$")
    assert page.eval("[...document.querySelectorAll('#admin-clients tbody tr')].map(r => r.dataset.code)") == [
        "1000", "2000"]
    assert page.text("#admin-clients tr[data-code='1000'] td:nth-of-type(1)") == "Cabinet Dupont"
    page.goto("/admin/dids")
    assert page.eval("[...document.querySelectorAll('#admin-dids tbody tr')].map(r => r.dataset.did + ' ' + "
                     "r.dataset.client)") == ["+14165550199 2000", "+15145550100 1000", "+15145550101 1000"]
    page.goto("/admin/menus")
    page.click("#admin-menus a[href='/admin/menus/dupont']")
    page.wait_path("^/admin/menus/dupont$")
    assert page.text("#active-version") == "2" and page.text("#menu-text") == MENU_VERSIONS[1].strip()


def test_a_supervisor_has_no_admin_pages(browser):
    page = browser()
    page.allow_console(r"status of 404")
    log_in(page, "sup")
    assert "/admin/clients" not in str(page.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)"))
    for path in ("/admin/clients", "/admin/dids", "/admin/menus", "/admin/menus/dupont", "/admin/users",
                 "/admin/agents", "/admin/queues", "/admin/asterisk"):
        assert page.goto(path) == 404 and page.text("h1") == "Page introuvable", path


ADD_DID = "form[data-action='/api/admin/dids']"
NEW_DID = "#admin-dids tr[data-did='+15145550123']"


def test_an_admin_changes_dids_clients_and_menus_through_the_forms(browser):
    page = browser("en-US")
    page.allow_console(r"status of 400")  # the refused number below
    log_in(page, "root", "/admin/dids")
    page.fill(f"{ADD_DID} input[name=number]", "514 555 0123")
    page.select(f"{ADD_DID} select[name=client]", "2000")
    page.fill(f"{ADD_DID} input[name=label]", "night line")
    page.click(f"{ADD_DID} button")
    page.wait(f"document.querySelector(\"{NEW_DID}\") !== null")
    assert page.eval(f"document.querySelector(\"{NEW_DID}\").dataset.client") == "2000"
    assert page.text(f"{NEW_DID} td.label") == "night line"
    # Refused by the API: its message on the form, nothing added.
    page.fill(f"{ADD_DID} input[name=number]", "12")
    page.click(f"{ADD_DID} button")
    page.wait(f"!document.querySelector(\"{ADD_DID} .form-error\").hidden")
    assert "number" in page.text(f"{ADD_DID} .form-error").lower()
    # Moved to client 1000 and relabelled, then removed (after the confirmation).
    page.click(f"{NEW_DID} details summary")
    page.select(f"{NEW_DID} form[data-method=PATCH] select[name=client]", "1000")
    page.fill(f"{NEW_DID} form[data-method=PATCH] input[name=label]", "day line")
    page.click(f"{NEW_DID} form[data-method=PATCH] button")
    page.wait(f"document.querySelector(\"{NEW_DID}\")?.dataset.client === '1000'")
    assert page.text(f"{NEW_DID} td.label") == "day line"
    page.click(f"{NEW_DID} form.remove button")
    page.wait(f"document.querySelector(\"{NEW_DID}\") === null && document.readyState === 'complete'")
    assert page.events()["dialogs"] == ["Remove number +15145550123? Its next calls will be refused."]

    page.goto("/admin/clients")
    row = "#admin-clients tr[data-code='2000']"
    page.click(f"{row} details summary")
    page.fill(f"{row} input[name=service_level_s]", "45")
    page.select(f"{row} select[name=entry_menu]", "tremblay")
    page.click(f"{row} form button")
    page.wait(f"document.querySelector(\"{row} td.service-level\")?.textContent === '45'")
    assert page.text(f"{row} td:nth-of-type(6)") == "tremblay"
    # Business hours as JSON: checked here before sending, then by the API.
    page.click(f"{row} details summary")
    page.fill(f"{row} textarea[name=hours]", '{"mon-fri": "08:00-18:00"')
    page.click(f"{row} form button")
    page.wait(f"!document.querySelector(\"{row} .form-error\").hidden")
    assert page.text(f"{row} .form-error").startswith("hours: ")
    page.fill(f"{row} textarea[name=hours]", '{"mon-fri": "08:00-18:00", "sat": "closed"}')
    page.fill(f"{row} textarea[name=holidays]", '["2026-12-25"]')
    page.click(f"{row} form button")
    page.wait(f"document.querySelector(\"{row} details\")?.open === false")  # the page was reloaded
    assert page.eval(f"document.querySelector(\"{row} textarea[name=holidays]\").value") == '["2026-12-25"]'
    assert "08:00-18:00" in str(page.eval(f"document.querySelector(\"{row} textarea[name=hours]\").value"))

    page.goto("/admin/menus/tremblay")
    assert page.text("#active-version") == "2"
    page.click("form.rollback button")
    page.wait("document.getElementById('active-version')?.textContent === '1'")
    # Every change carried the session's CSRF token: the API refuses a cookie request without it.
    status = page.eval("fetch('/api/admin/menus/tremblay/rollback', {method: 'POST'}).then(r => r.status)")
    assert status == 403
    page.allow_console(r"status of 403")


EVENING_MENU = """menu: tremblay-soir
client: "2000"
languages: [fr, en]
timezone: America/Toronto
entry: reception
nodes:
  reception:
    type: queue
    queue: garage
"""
APPLY = "form.apply"


def test_an_admin_applies_a_menu_checked_by_the_api(browser):
    page = browser("en-US")
    page.allow_console(r"status of 400")  # the refused text first
    log_in(page, "root", "/admin/menus")
    page.fill(f"{APPLY} input[name=source]", "tremblay-soir.yaml")
    page.fill(f"{APPLY} textarea[name=yaml]", EVENING_MENU.replace("type: queue", "type: teleport"))
    page.click(f"{APPLY} button")
    page.wait(f"!document.querySelector('{APPLY} .form-error').hidden")
    assert "nothing changed" in page.text(f"{APPLY} .form-error")
    assert page.eval("document.querySelector(\"#admin-menus tr[data-menu='tremblay-soir']\")") is None
    page.fill(f"{APPLY} textarea[name=yaml]", EVENING_MENU)
    page.click(f"{APPLY} button")
    page.wait("document.querySelector(\"#admin-menus tr[data-menu='tremblay-soir']\") !== null")
    page.click("#admin-menus a[href='/admin/menus/tremblay-soir']")
    page.wait_path("^/admin/menus/tremblay-soir$")
    assert page.text("#active-version") == "1" and page.text("#menu-text") == EVENING_MENU.strip()
