"""The operations wiring `serve` uses: one registry fed by FastAGI, AMI and the process; the health checks
(AMI logged in, FastAGI listening); the metrics token in the configuration."""

from __future__ import annotations

import asyncio

import pytest

from agi import FastAGIServer
from ami import CallListener, make_client
from permanence import demo
from permanence.config import ConfigError, load
from permanence.operations import health_checks, metrics_registry
from store import Store
from tests.agi.fake_asterisk import Channel, agi_headers, call
from tests.agi.support import echo, router_with, settled
from tests.ami.fake_ami import FakeAMI
from tests.web.ops import METRICS_TOKEN, sample, serving


async def test_serve_wiring_feeds_metrics_and_health(tmp_path):
    fake = FakeAMI()
    await fake.start()
    store = Store(tmp_path / "listener.sqlite3")
    store.open()
    listener = CallListener(store, tmp_path / "recordings")
    agi = FastAGIServer(router_with(echo=echo), "127.0.0.1", 0)
    ami = make_client(listener, "127.0.0.1", fake.port, "u", "s", ping_interval=30)
    registry = metrics_registry(agi, ami, listener)
    checks = health_checks(agi, ami)
    assert set(checks) == {"ami", "agi"}
    ami_task: asyncio.Task[None] | None = None
    try:
        async with serving(tmp_path, registry=registry, health_checks=checks) as ops:
            body = await (await ops.client.get("/healthz")).json()
            assert body["checks"] == {"store": True, "ami": False, "agi": False} and not body["ok"]
            await agi.start()
            ami_task = asyncio.create_task(ami.run())
            await ami.wait_connected(5)
            resp = await ops.client.get("/healthz")
            assert resp.status == 200 and (await resp.json())["checks"] == {"store": True, "ami": True, "agi": True}
            await call(agi.port, agi_headers("echo"), otherwise=Channel())
            await settled(agi)
            samples = await ops.scrape()
    finally:
        await ami.close()
        if ami_task is not None:
            ami_task.cancel()
            await asyncio.gather(ami_task, return_exceptions=True)
        await agi.close()
        await fake.close()
        store.close()
    assert sample(samples, "permanence_agi_sessions_total", route="echo", outcome="ok") == 1
    assert sample(samples, "permanence_ami_connected") == 1
    assert sample(samples, "permanence_ami_calls_in_progress") == 0
    assert sample(samples, "process_resident_memory_bytes") > 0
    assert sample(samples, "permanence_http_request_duration_seconds_count", method="GET", route="/healthz",
                  status="200") == 1


def test_metrics_token_from_the_file_or_the_environment(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(f'mode = "demo"\n[web]\nmetrics_token = "{METRICS_TOKEN}"\n', encoding="utf-8")
    assert load(path, env={}).web.metrics_token == METRICS_TOKEN
    assert load(path, env={"PERMANENCE_WEB_METRICS_TOKEN": "e" * 40}).web.metrics_token == "e" * 40
    assert load(path, env={"PERMANENCE_WEB_METRICS_TOKEN": ""}).web.metrics_token == ""


@pytest.mark.parametrize("token", ["short", "a" * 31, "a" * 20 + " " + "b" * 20, "é" * 40, "a" * 40 + "\n"])
def test_a_weak_or_odd_metrics_token_is_refused(tmp_path, token):
    path = tmp_path / "p.toml"
    path.write_text('mode = "demo"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[web\] metrics_token must be 32"):
        load(path, env={"PERMANENCE_WEB_METRICS_TOKEN": token})


async def test_the_demo_configuration_has_its_own_metrics_token(tmp_path):
    first, second = tmp_path / "a" / "demo.toml", tmp_path / "b" / "demo.toml"
    assert demo.init_config(first) and demo.init_config(second)
    token = load(first, env={}).web.metrics_token
    assert len(token) >= 32 and token != load(second, env={}).web.metrics_token  # this machine's own
    assert not demo.init_config(first) and load(first, env={}).web.metrics_token == token  # kept once written
    async with serving(tmp_path, metrics_token=token) as ops:
        assert (await ops.client.get("/metrics")).status != 200
        resp = await ops.client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 200 and "permanence_http_request_duration_seconds" in await resp.text()
