"""French and English in Chromium: the browser's language first, then the switch, which sticks."""

from __future__ import annotations

from .conftest import log_in


def test_the_browser_language_then_the_switch(browser):
    page = browser("en-US")
    page.goto("/login")
    assert page.eval("document.documentElement.lang") == "en" and page.text("h1") == "Log in"
    page.click("#language-switch")
    page.wait("document.documentElement.lang === 'fr'")
    assert page.text("h1") == "Connexion" and page.path() == "/login"
    log_in(page, "alice")
    assert page.text("h1") == "Appels" and page.text("#calls thead th") == "Début"
    assert page.text("#calls tr[data-linkedid='1750000002.1'] .disposition") == "Abandonné (file)"
    page.click("#language-switch")
    page.wait("document.documentElement.lang === 'en'")
    assert page.path() == "/calls" and page.text("h1") == "Calls"
    assert page.text("#calls tr[data-linkedid='1750000002.1'] .disposition") == "Abandoned (queue)"
    page.goto("/stats")
    assert page.text("h1") == "Statistics" and page.text("#chart-hours figcaption") == "Calls per hour"
