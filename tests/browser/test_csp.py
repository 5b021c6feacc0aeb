"""The pages' CSP in Chromium: every page of the portal loads without a violation (each test's
teardown checks its pages), and the policy is really enforced — an injected inline script is refused
and reported."""

from __future__ import annotations

from .conftest import log_in


def test_an_inline_script_is_refused_and_reported(browser):
    page = browser()
    log_in(page, "root")
    for path in ("/calls", "/calls/1750000001.1", "/stats", "/live", "/oncall?client=1000", "/infopages?client=1000"):
        assert page.goto(path) == 200, path
    assert page.problems() == []
    page.eval("document.body.appendChild(Object.assign(document.createElement('script'), "
              "{textContent: 'window.injected = true'}))")
    page.wait("true")
    assert page.eval("window.injected === undefined") is True
    events = page.events()
    assert any(v.startswith("script-src") for v in events["violations"]), events["violations"]
    page.seen["violations"].clear()  # expected: the proof that the listener sees violations
    page.allow_console(r"Content Security Policy")
