"""Logging in and out in Chromium: the form posts to the browser-session login; refusals (a wrong
password, then too many: 429) are shown on the form; logging out needs the page's CSRF token."""

from __future__ import annotations

from .conftest import FAILURES_PER_ACCOUNT, log_in

UNAUTHORIZED = r"status of 401"
LIMITED = r"status of 429"


def test_a_wrong_password_is_shown_then_the_right_one_logs_in(browser):
    page = browser()
    page.allow_console(UNAUTHORIZED)
    assert page.goto("/calls") == 200 and page.path() == "/login?next=/calls"  # sent to the form
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", "not-her-password")
    page.click("#login-form button[type=submit]")
    page.wait("!document.getElementById('login-error').hidden")
    assert page.text("#login-error") == "Identifiant ou mot de passe incorrect."
    assert page.path() == "/login?next=/calls"
    page.fill("input[name=password]", "alice-portal-1")
    page.click("#login-form button[type=submit]")
    page.wait_path("^/calls$")
    assert page.text("header .who") == "Connecté : alice"
    cookies = page.call("evaluate", "document.cookie")
    assert "permanence_session" not in cookies  # HttpOnly: no script reads it


def test_too_many_failures_show_when_to_retry(browser):
    page = browser()
    page.allow_console(UNAUTHORIZED)
    page.allow_console(LIMITED)
    page.goto("/login")
    messages = []
    for _ in range(FAILURES_PER_ACCOUNT + 1):
        page.fill("input[name=login]", "carol")
        page.fill("input[name=password]", "guess")
        page.eval("document.getElementById('login-error').hidden = true")
        page.click("#login-form button[type=submit]")
        page.wait("!document.getElementById('login-error').hidden")
        messages.append(page.text("#login-error"))
    assert messages[:-1] == ["Identifiant ou mot de passe incorrect."] * FAILURES_PER_ACCOUNT
    assert messages[-1].startswith("Trop de tentatives échouées. Réessayez dans ")
    assert int(messages[-1].split("dans ")[1].split(" s")[0]) > 0
    responses = [r["status"] for r in page.events()["responses"] if r["url"].endswith("/api/session")]
    assert responses == [401] * FAILURES_PER_ACCOUNT + [429]


def test_logging_out_ends_the_session(browser):
    page = browser()
    log_in(page, "bob")
    page.click("form.logout button")
    page.wait_path("^/login\\?logged_out=1$")
    assert page.text(".notice") == "Vous êtes déconnecté."
    assert page.goto("/calls") == 200 and page.path() == "/login?next=/calls"
