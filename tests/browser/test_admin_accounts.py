"""The admin pages for users, agents and Asterisk in Chromium: each form goes to the admin API with
the session's CSRF token, and what the API answers is what the page then shows."""

from __future__ import annotations

from .conftest import log_in
from .seed import PASSWORDS

ADD_USER = "form.add-user"
DAVE = "#admin-users tr[data-login='dave']"


def test_an_admin_adds_a_user_changes_its_password_and_removes_it(browser):
    page = browser("en-US")
    page.allow_console(r"status of (400|409)")  # the refusals below
    log_in(page, "root", "/admin/users")
    assert page.eval("[...document.querySelectorAll('#admin-users tbody tr')].map(r => r.dataset.login)") == sorted(
        PASSWORDS)  # every seeded user
    page.fill(f"{ADD_USER} input[name=login]", "dave")
    page.fill(f"{ADD_USER} input[name=password]", "dave-portal-6")
    page.select(f"{ADD_USER} select[name=role]", "client")
    page.select(f"{ADD_USER} select[name=client_code]", "2000")
    page.click(f"{ADD_USER} button")
    page.wait(f"document.querySelector(\"{DAVE}\") !== null")
    assert page.eval(f"document.querySelector(\"{DAVE}\").dataset.role") == "client"
    assert page.text(f"{DAVE} td.client") == "2000 — Garage Tremblay"
    # The same login again: the API's refusal on the form, nothing added.
    page.fill(f"{ADD_USER} input[name=login]", "dave")
    page.fill(f"{ADD_USER} input[name=password]", "dave-portal-6")
    page.click(f"{ADD_USER} button")
    page.wait(f"!document.querySelector('{ADD_USER} .form-error').hidden")
    assert "dave" in page.text(f"{ADD_USER} .form-error")
    assert page.eval("document.querySelectorAll(\"#admin-users tr[data-login='dave']\").length") == 1

    page.click(f"{DAVE} details summary")
    page.fill(f"{DAVE} form.password input[name=password]", "dave-new-pass-7")
    page.click(f"{DAVE} form.password button")
    page.wait(f"document.querySelector(\"{DAVE} details\")?.open === false")  # saved: the page was reloaded
    dave = browser("en-US")  # dave, in a browser of his own: the new password works, the old one no more
    dave.allow_console(r"status of 401")
    dave.goto("/login")
    dave.fill("input[name=login]", "dave")
    dave.fill("input[name=password]", "dave-portal-6")
    dave.click("#login-form button[type=submit]")
    dave.wait("!document.getElementById('login-error').hidden")
    dave.fill("input[name=password]", "dave-new-pass-7")
    dave.click("#login-form button[type=submit]")
    dave.wait_path("^/calls$")
    assert dave.eval("[...document.querySelectorAll('tr[data-linkedid]')].map(r => r.dataset.linkedid)") == [
        "1760000002.1", "1760000001.1"]  # client 2000's calls

    page.click(f"{DAVE} form.remove button")
    page.wait(f"document.querySelector(\"{DAVE}\") === null && document.readyState === 'complete'")
    assert page.events()["dialogs"] == ["Remove user dave? Their sessions end."]
    dave.goto("/calls")  # removed: his session ended with him
    dave.wait_path(r"^/login\?next=")


ADD_AGENT = "form.add-agent"
EVE = "#admin-agents tr[data-agent='205']"
REPORT = "dl.form-result"


def test_an_admin_adds_an_agent_to_a_queue_then_checks_and_reloads_asterisk(browser):
    page = browser("en-US")
    page.allow_console(r"status of 503")  # the reload: no Asterisk is reachable from the test portal
    log_in(page, "root", "/admin/agents")
    page.fill(f"{ADD_AGENT} input[name=id]", "205")
    page.fill(f"{ADD_AGENT} input[name=name]", "Eve Agent")
    page.fill(f"{ADD_AGENT} input[name=password]", "agent-205-secret")
    page.click(f"{ADD_AGENT} button")
    page.wait(f"document.querySelector(\"{EVE}\") !== null")
    assert page.text(f"{EVE} td.name") == "Eve Agent"
    page.click(f"{EVE} details summary")
    page.fill(f"{EVE} form.join input[name=queue]", "accueil")
    page.fill(f"{EVE} form.join input[name=penalty]", "3")
    page.click(f"{EVE} form.join button")
    page.wait(f"document.querySelector(\"{EVE} li[data-queue='accueil']\") !== null")
    assert page.text(f"{EVE} li[data-queue='accueil']").startswith("accueil (Penalty 3)")

    page.click("header nav a[href='/admin/asterisk']")
    page.wait_path("^/admin/asterisk$")
    page.click("form.check button")
    page.wait(f"!document.querySelector('form.check {REPORT}').hidden")
    assert page.text(f"form.check {REPORT} dd[data-field=ok]") == "yes"
    assert page.text(f"form.check {REPORT} dd[data-field=errors]") == "—"
    changed = page.text(f"form.check {REPORT} dd[data-field=changed]").split("\n")
    # The new agent's softphone is in the files; its queue membership is not (agents log in: the reload
    # applies memberships through AMI, ami/members.py).
    assert "pjsip_local.conf" in changed and "queues_local.conf" not in changed
    page.click("form.reload button")
    page.wait("!document.querySelector('form.reload .form-error').hidden")
    assert page.events()["dialogs"] == ["Reload the configuration into the running Asterisk?"]
    assert page.text("form.reload .form-error").startswith("Asterisk cannot be reached for a reload; nothing "
                                                            "was changed")
    assert page.text(f"form.reload {REPORT} dd[data-field=ok]") == "no"
    assert page.text(f"form.reload {REPORT} dd[data-field=restored]") == "no"

    page.goto("/admin/agents")
    page.click(f"{EVE} li[data-queue='accueil'] form.leave button")
    page.wait(f"document.querySelector(\"{EVE} li[data-queue='accueil']\") === null "
              "&& document.readyState === 'complete'")
    page.click(f"{EVE} form.remove button")
    page.wait(f"document.querySelector(\"{EVE}\") === null && document.readyState === 'complete'")
