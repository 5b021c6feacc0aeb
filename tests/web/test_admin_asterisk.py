"""Admin API, Asterisk: check and reload through dialplan.deploy (here against a stand-in Asterisk; the
real one is tests/e2e/test_admin_reload.py). Admins only; each failure has its status, and says
whether the previous configuration is back."""

from __future__ import annotations

import dataclasses

import pytest

from dialplan import AgentPhone, QueueMember, write_config
from dialplan.deploy import Deployer
from tests.dialplan.fake_control import FakeAsterisk
from tests.dialplan.test_render import SETTINGS

from .admin_support import admin_app

BASE = dataclasses.replace(SETTINGS, queues=("1000-accueil",))
# Agent 103 answers a new queue: Asterisk gets the endpoint and the queue (103 joins it at login).
NEW = dataclasses.replace(BASE, agents=(AgentPhone("103", "Carol", "c" * 32),),
                          members=(QueueMember("1000-nuit", "103"),))


@pytest.fixture
def live(tmp_path):
    directory = tmp_path / "etc"
    write_config(BASE, directory)
    return directory


async def test_check_and_reload_answer_with_the_report(tmp_path, live):
    asterisk = FakeAsterisk(live)
    async with admin_app(tmp_path, Deployer(lambda: NEW, live, asterisk.connect)) as api:
        status, report = await api.call("POST", "/api/admin/asterisk/check")
        assert status == 200 and report["ok"] and report["changed"] == ["pjsip_local.conf", "queues_local.conf"]
        assert asterisk.reloads == []
        status, report = await api.call("POST", "/api/admin/asterisk/reload")
        assert status == 200 and report == {"ok": True, "errors": [], "reloaded": ["res_pjsip", "app_queue"],
                                            "changed": ["pjsip_local.conf", "queues_local.conf"],
                                            "restart_needed": [], "restored": False}
        assert asterisk.queues_loaded["1000-nuit"] == frozenset()
        for login in ("sup", "alice"):
            for path in ("/api/admin/asterisk/check", "/api/admin/asterisk/reload"):
                assert (await api.call("POST", path, login=login))[0] == 404


@pytest.mark.parametrize(("asterisk_kw", "status", "restored"), [
    ({"keep_old": {"res_pjsip"}}, 502, True), ({"unreachable": True}, 503, False)])
async def test_a_refused_or_impossible_reload_leaves_the_running_configuration(tmp_path, live, asterisk_kw, status,
                                                                               restored):
    asterisk = FakeAsterisk(live, **asterisk_kw)
    before = {p.name: p.read_text() for p in live.glob("*.conf")}
    async with admin_app(tmp_path, Deployer(lambda: NEW, live, asterisk.connect)) as api:
        code, body = await api.call("POST", "/api/admin/asterisk/reload")
        assert code == status and not body["ok"] and body["restored"] is restored and body["errors"], body
    assert {p.name: p.read_text() for p in live.glob("*.conf")} == before


async def test_data_that_cannot_be_rendered_is_a_422_and_nothing_changes(tmp_path, live):
    bad = dataclasses.replace(BASE, members=(QueueMember("1000-accueil", "999"),))
    async with admin_app(tmp_path, Deployer(lambda: bad, live, FakeAsterisk(live).connect)) as api:
        status, report = await api.call("POST", "/api/admin/asterisk/check")
        assert status == 200 and not report["ok"] and "not an agent" in report["errors"][0]
        status, body = await api.call("POST", "/api/admin/asterisk/reload")
        assert status == 422 and "cannot be rendered" in body["error"]


async def test_without_a_deployer_the_routes_say_not_configured(tmp_path):
    async with admin_app(tmp_path) as api:
        for path in ("/api/admin/asterisk/check", "/api/admin/asterisk/reload"):
            status, body = await api.call("POST", path)
            assert status == 503 and "not configured" in body["error"]
