"""/metrics: who may scrape it, and that each family says what happened (HTTP, FastAGI, AMI, the store)."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, generate_latest

from agi import FastAGIServer
from ami import AMIClient
from ami.client import LAG_BOUNDS
from store.counts import calls_by_disposition
from tests.agi.fake_asterisk import Channel, agi_headers, call
from tests.agi.support import echo, router_with, settled
from tests.ami.fake_ami import FakeAMI, block
from web.collectors import AgiMetrics, AmiCollector, CallsCollector

from .ops import DISPOSITIONS, METRICS_TOKEN, parse, sample, serving

HTTP = "permanence_http_request_duration_seconds"


async def test_metrics_are_for_the_scrape_token_only(tmp_path):
    async with serving(tmp_path) as ops:
        assert (await ops.client.get("/metrics")).status == 401
        resp = await ops.client.get("/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN[:-1] + "x"})
        assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await resp.json())["error"] == "the metrics token is required"
        # A user's token, an admin's included, is not a scrape token.
        admin = await ops.token("root")
        assert (await ops.client.get("/metrics", headers={"Authorization": f"Bearer {admin}"})).status == 401
        assert "permanence_" not in await resp.text()
        await ops.scrape()  # the right token passes


async def test_metrics_are_off_without_a_configured_token(tmp_path):
    async with serving(tmp_path, metrics_token="") as ops:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {METRICS_TOKEN}"}):
            resp = await ops.client.get("/metrics", headers=headers)
            assert resp.status == 404, headers


async def test_http_latency_by_route_template_never_the_raw_path(tmp_path):
    async with serving(tmp_path) as ops:
        headers = {"Authorization": f"Bearer {await ops.token('alice')}"}
        for linkedid in ("1700000000.1", "1700000001.1", "9999999999.9"):
            await ops.client.get(f"/api/calls/{linkedid}", headers=headers)
        await ops.client.get("/no/such/page/12345")
        await ops.client.get("/api/calls")  # no credentials: 401
        samples = await ops.scrape()
        count = HTTP + "_count"
        assert sample(samples, count, method="GET", route="/api/calls/{linkedid}", status="200") == 2
        assert sample(samples, count, method="GET", route="/api/calls/{linkedid}", status="404") == 1
        assert sample(samples, count, method="GET", route="/api/calls", status="401") == 1
        assert sample(samples, count, method="POST", route="/api/login", status="200") == 1
        assert sample(samples, count, method="GET", route="unmatched", status="404") == 1
        assert sample(samples, HTTP + "_bucket", method="GET", route="/api/calls/{linkedid}", status="200",
                      le="+Inf") == 2
        assert sample(samples, HTTP + "_sum", method="GET", route="/api/calls/{linkedid}", status="200") > 0
        routes = {dict(labels)["route"] for name, labels in samples if name == count}
        assert not any("1700000000" in r or "12345" in r for r in routes), routes


async def test_calls_by_disposition_are_the_store_rows(tmp_path):
    async with serving(tmp_path) as ops:
        samples = await ops.scrape()
        rows = await ops.store.read(lambda db: dict(db.execute(
            "SELECT disposition, count(*) FROM calls GROUP BY disposition").fetchall()))
        assert rows == DISPOSITIONS
        for disposition in ("answered", "abandoned_ivr", "abandoned_queue", "voicemail", "failed"):
            assert sample(samples, "permanence_calls_stored", disposition=disposition) == rows.get(disposition, 0)
        # Messages by dispatch status, every status present (no message yet: zeros, not missing series).
        for status in ("pending", "dispatching", "delivered", "failed", "alerted"):
            assert sample(samples, "permanence_messages", status=status) == 0


async def test_stored_calls_are_read_again_once_stale(tmp_path):
    async with serving(tmp_path) as ops:
        fresh = CallsCollector(ops.store, max_age=0.0)
        cached = CallsCollector(ops.store, max_age=3600.0)
        registry = CollectorRegistry()
        registry.register(fresh)
        for collector in (fresh, cached):
            await collector.refresh()
        await ops.store.write(lambda db: db.execute("UPDATE calls SET disposition = 'failed'"))
        for collector in (fresh, cached):
            await collector.refresh()
        # Within max_age the counts are not read again.
        assert next(iter(cached.collect())).samples[0].value == DISPOSITIONS["answered"]
        samples = parse(generate_latest(registry).decode())
        total = sum(DISPOSITIONS.values())
        assert sample(samples, "permanence_calls_stored", disposition="failed") == total
        assert sample(samples, "permanence_calls_stored", disposition="answered") == 0
        assert await ops.store.read(calls_by_disposition) == {**dict.fromkeys(
            ("answered", "abandoned_ivr", "abandoned_queue", "voicemail", "closed_hours", "unknown_did",
             "in_progress"), 0), "failed": total}


async def test_agi_sessions_by_route_and_outcome(tmp_path):
    registry = CollectorRegistry()
    agi = FastAGIServer(router_with(echo=echo), "127.0.0.1", 0, header_timeout=2.0, command_timeout=2.0,
                        observer=AgiMetrics(registry))
    await agi.start()
    try:
        async with serving(tmp_path, registry=registry) as ops:
            await call(agi.port, agi_headers("echo"), otherwise=Channel())
            await call(agi.port, agi_headers("echo"), otherwise=Channel())
            await call(agi.port, agi_headers("whatever-the-peer-says"), otherwise=Channel())
            await settled(agi)
            samples = await ops.scrape()
    finally:
        await agi.close()
    assert sample(samples, "permanence_agi_sessions_total", route="echo", outcome="ok") == 2
    assert sample(samples, "permanence_agi_sessions_total", route="-", outcome="unknown_route") == 1
    assert sample(samples, "permanence_agi_sessions_in_progress") == 0
    assert sample(samples, "permanence_agi_session_duration_seconds_count", route="echo") == 2
    assert not any("whatever" in str(labels) for _, labels in samples)


async def _until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_ami_connection_and_lag_are_read_at_scrape_time(tmp_path):
    fake = FakeAMI()
    await fake.start()
    handled: list[dict] = []

    async def on_event(event) -> None:
        handled.append(event)

    client = AMIClient("127.0.0.1", fake.port, "u", "s", on_event=on_event, ping_interval=30, backoff_min=0.05,
                       backoff_max=0.1)
    registry = CollectorRegistry()
    registry.register(AmiCollector(client, LAG_BOUNDS, lambda: 7))
    task = asyncio.create_task(client.run())
    try:
        async with serving(tmp_path, registry=registry) as ops:
            await client.wait_connected(5)
            await fake.send(block(Event="Newchannel", Linkedid="1.1", Timestamp=f"{time.time() - 0.3:.6f}"))
            await fake.send(block(Event="Hangup", Linkedid="1.1"))  # no Timestamp: counted, no lag
            await _until(lambda: len(handled) == 2)
            up = await ops.scrape()
            await fake.close()  # Asterisk goes away
            await _until(lambda: not client.connected)
            down = await ops.scrape()
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert sample(up, "permanence_ami_connected") == 1 and sample(down, "permanence_ami_connected") == 0
    assert sample(up, "permanence_ami_connects_total") == 1
    assert sample(up, "permanence_ami_events_total") == 2
    assert sample(up, "permanence_ami_event_lag_seconds_count") == 1
    assert 0.3 <= sample(up, "permanence_ami_event_lag_seconds_sum") < 2.0
    assert sample(up, "permanence_ami_event_lag_seconds_bucket", le="0.25") == 0
    assert sample(up, "permanence_ami_event_lag_seconds_bucket", le="+Inf") == 1
    assert sample(up, "permanence_ami_event_lag_last_seconds") >= 0.3
    assert sample(up, "permanence_ami_calls_in_progress") == 7
