"""The browser tests' fixtures: one real portal (seeded store, real WAV recordings, a live view) and one
Chromium bridge per session; each test opens its own pages (own cookies), and when it ends each page
leaves a screenshot in var/test-artifacts/browser/ and must have reported no CSP violation, no
uncaught error and no console error the test did not expect."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ami.control import action_connection
from dialplan import AgentPhone, AsteriskSettings, QueueMember, write_config
from dialplan.deploy import Deployer
from permanence.config import load, replace
from permanence.serve import AsteriskData, asterisk_settings
from store import agents, connect
from web.admin import AdminSettings
from web.security import SecuritySettings

from .driver import Bridge, Page
from .seed import CALLS, PASSWORDS, seed
from .server import PortalServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "browser"
FAILURES_PER_ACCOUNT = 3  # carol's wrong passwords reach the limit quickly


def asterisk_admin(store_path: Path, live_dir: Path) -> Deployer:
    """The real check and reload (dialplan.deploy) over the portal's agents, its live directory written
    from the same data; no Asterisk listens on the AMI port it is given, so a reload finds Asterisk
    unreachable and changes nothing (the reload itself is tests/e2e/test_admin_reload.py). The seeded
    menus are only text for the menu pages: the queues are the seeded calls' own."""
    config = replace(load(None, env={"PERMANENCE_MODE": "demo"}), store={"path": str(store_path)},
                     ami={"secret": "portal-test-ami", "action_secret": "portal-test-action"})

    def render() -> AsteriskSettings:
        db = connect(store_path)
        try:
            phones = tuple(AgentPhone(a.id, a.name, a.sip_ha1) for a in agents.list_agents(db))
            members = tuple(QueueMember(m.queue, m.agent_id, m.penalty) for m in agents.list_members(db))
        finally:
            db.close()
        queues = tuple(sorted({c.queue for c in CALLS if c.queue} | {m.queue for m in members}))
        return asterisk_settings(config, AsteriskData(queues, phones, members))

    write_config(render(), live_dir)
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    return Deployer(render, live_dir,
                    lambda: action_connection("127.0.0.1", closed, "permanence-action", "unused", timeout=1.0))


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Iterator[PortalServer]:
    root = tmp_path_factory.mktemp("portal")
    seed(root / "store.sqlite3", root / "recordings")
    admin = AdminSettings(asterisk=asterisk_admin(root / "store.sqlite3", root / "asterisk-etc"))
    server = PortalServer(root / "store.sqlite3", root / "recordings",
                          SecuritySettings(failures_per_account=FAILURES_PER_ACCOUNT), admin)
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
