"""The admin pages in Chromium: an admin reads clients, DIDs and menus; a supervisor has none of them."""

from __future__ import annotations

from .conftest import log_in
from .seed import MENU_VERSIONS


def test_an_admin_reads_clients_dids_and_menus(browser):
    page = browser("en-US")
    log_in(page, "root")
    nav = page.eval("[...document.querySelectorAll('header nav a')].map(a => a.pathname)")
    assert nav == ["/calls", "/stats", "/live", "/admin/clients", "/admin/dids", "/admin/menus"]
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
    for path in ("/admin/clients", "/admin/dids", "/admin/menus", "/admin/menus/dupont"):
        assert page.goto(path) == 404 and page.text("h1") == "Page introuvable", path
