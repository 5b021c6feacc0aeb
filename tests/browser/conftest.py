"""The browser tests' fixtures: one real portal (seeded store, real WAV recordings, a live view) and one
Chromium bridge per session; each test opens its own pages (own cookies), and when it ends each page
leaves a screenshot in var/test-artifacts/browser/ and must have reported no CSP violation, no
uncaught error and no console error the test did not expect."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from web.security import SecuritySettings

from .driver import Bridge, Page
from .seed import PASSWORDS, seed
from .server import PortalServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "browser"
FAILURES_PER_ACCOUNT = 3  # carol's wrong passwords reach the limit quickly


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Iterator[PortalServer]:
    root = tmp_path_factory.mktemp("portal")
    seed(root / "store.sqlite3", root / "recordings")
    server = PortalServer(root / "store.sqlite3", root / "recordings",
                          SecuritySettings(failures_per_account=FAILURES_PER_ACCOUNT))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bridge() -> Iterator[Bridge]:
    running = Bridge()
    yield running
    running.close()


@pytest.fixture
def browser(bridge: Bridge, portal: PortalServer, request) -> Iterator[Callable[..., Page]]:
    """open(locale="fr-CA") → a new page in a new context."""
    opened: list[Page] = []

    def open_page(locale: str = "fr-CA") -> Page:
        page = bridge.open(portal.url, locale)
        opened.append(page)
        return page

    yield open_page
    problems: list[str] = []
    for n, page in enumerate(opened):
        page.screenshot(ARTIFACTS / f"{request.node.name}-{n}.png")
        problems += page.problems()
        page.close()
    assert not problems, problems


def log_in(page: Page, login: str, then: str = "/calls") -> None:
    page.goto("/login?next=" + then)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORDS[login])
    page.click("#login-form button[type=submit]")
    page.wait_path("^" + re.escape(then) + "$")
