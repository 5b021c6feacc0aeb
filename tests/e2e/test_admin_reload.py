"""The admin API's reload against the real Asterisk: an agent and a queue added through the API are in
Asterisk after POST /api/admin/asterisk/reload; a configuration Asterisk will not take is refused, the
previous files are back and the running configuration is the one it was."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ami.control import action_connection
from dialplan.deploy import Deployer
from permanence.config import load
from permanence.serve import asterisk_data, asterisk_settings

from .conftest import ADMIN_PASSWORD, System

pytestmark = pytest.mark.asterisk


def rx(system: System, command: str) -> str:
    result = system.sandbox("rx", command)
    assert result.returncode == 0, result.stderr
    return result.stdout


def api(system: System, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    status, _, raw = system.request(method, path, token=system.login("admin", ADMIN_PASSWORD), body=body)
    return status, (json.loads(raw) if raw else None)


def _members(queue_show: str) -> list[str]:
    """`queue show`'s lines after its counters, without what moves with the clock (seconds since login, since
    the last call)."""
    return [re.sub(r" \((login|last) was \d+ secs ago\)", "", line) for line in queue_show.splitlines()[1:]]


def live_files(system: System) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((system.sandbox_dir / "etc").glob("*.conf"))}


def test_the_action_user_has_only_what_reload_and_logins_need(system):
    """Asterisk 22 itself: Reload is open to `system` (or `config`); the verification reads QueueStatus and
    PJSIPShowEndpoints; agents' logins are QueueAdd, QueueRemove and QueuePause, open to `agent` alone.
    The action user holds system, reporting and agent, nothing that runs commands or writes files."""
    assert "system" in rx(system, "manager show command Reload")
    for action in ("QueueAdd", "QueueRemove", "QueuePause"):
        lines = rx(system, f"manager show command {action}").splitlines()
        assert lines[lines.index("[Privilege]") + 1] == "agent,all", lines
    user = rx(system, "manager show user permanence-admin")
    write = next(line for line in user.splitlines() if "write perm" in line).split(":", 1)[1]
    assert {p.strip() for p in write.split(",")} == {"system", "reporting", "agent"}, user


def test_an_agent_and_a_queue_added_through_the_api_reach_asterisk_at_reload(system):
    status, body = api(system, "POST", "/api/admin/agents", {
        "id": "103", "name": "Carol Agent", "password": "agent-103-secret", "queues": [{"queue": "reload-test"}]})
    assert status == 201, body
    try:
        assert "No such queue" in rx(system, "queue show reload-test")  # the store has it, Asterisk not yet
        status, report = api(system, "POST", "/api/admin/asterisk/reload")
        assert status == 200 and report["ok"], report
        assert report["changed"] == ["pjsip_local.conf", "queues_local.conf"]
        assert report["reloaded"] == ["res_pjsip", "app_queue"] and not report["restored"]
        queue = rx(system, "queue show reload-test")
        assert queue.startswith("reload-test has 0 calls") and "No Members" in queue, queue
        assert "Endpoint:  103" in rx(system, "pjsip show endpoint 103")
        # 103 answers it once logged in (a dynamic member, with its name)
        assert api(system, "POST", "/api/agents/103/login")[0] == 200
        assert "Carol Agent (PJSIP/103" in rx(system, "queue show reload-test")
        assert api(system, "POST", "/api/agents/103/logout")[0] == 200
        status, report = api(system, "POST", "/api/admin/asterisk/reload")
        assert status == 200 and report["changed"] == [] and report["reloaded"] == []  # nothing left to do
    finally:
        assert api(system, "DELETE", "/api/admin/agents/103")[0] == 204
        status, report = api(system, "POST", "/api/admin/asterisk/reload")
        assert status == 200 and report["ok"], report
    assert "Unable to find object 103" in rx(system, "pjsip show endpoint 103")
    assert "No such queue" in rx(system, "queue show reload-test")


class BrokenEndpoint(Deployer):
    """The real rendering with one thing Asterisk will not take: an option of agent 104's endpoint that
    our own check cannot judge (its value is res_pjsip's business)."""

    def adjust(self, directory: Path) -> None:
        path = directory / "pjsip_local.conf"
        path.write_text(path.read_text().replace("[104](softphone)\n", "[104](softphone)\ndtmf_mode = nonsense\n"))


async def test_a_configuration_asterisk_refuses_leaves_the_running_one_as_it_was(system):
    config = load(system.config, env=system.env)
    status, body = api(system, "POST", "/api/admin/agents", {
        "id": "104", "name": "Dora Agent", "password": "agent-104-secret", "queues": [{"queue": "1000-accueil"}]})
    assert status == 201, body
    before_files = live_files(system)
    before_endpoints, before_queue = rx(system, "pjsip show endpoints"), rx(system, "queue show 1000-accueil")
    try:
        a = config.ami
        deployer = BrokenEndpoint(lambda: asterisk_settings(config, asterisk_data(config)),
                                  system.sandbox_dir / "etc",
                                  lambda: action_connection(a.host, a.port, a.action_user, a.action_secret))
        report = await deployer.reload()
        assert not report.ok and report.stage == "asterisk" and report.restored, report
        assert "res_pjsip: endpoint 104 is not loaded" in report.errors
        assert live_files(system) == before_files  # the previous files, byte for byte
        assert "Unable to find object 104" in rx(system, "pjsip show endpoint 104")
        assert rx(system, "pjsip show endpoints") == before_endpoints  # 101, 102, agent1: as they were
        assert "PJSIP/104" not in rx(system, "queue show 1000-accueil")
        assert _members(rx(system, "queue show 1000-accueil")) == _members(before_queue)
    finally:
        assert api(system, "DELETE", "/api/admin/agents/104")[0] == 204
    status, report = api(system, "POST", "/api/admin/asterisk/check")
    assert status == 200 and report["ok"] and report["changed"] == []  # the store and Asterisk agree again
