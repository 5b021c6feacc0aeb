"""Operations wiring: one metrics registry fed by FastAGI, AMI and the process, and the health checks.

The registry is made here, per `serve`, and handed to the web app (web.make_app), which adds the
HTTP latency and the stored calls to it and serves it at /metrics.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from agi import FastAGIServer
from ami import AMIClient, CallListener
from ami.client import LAG_BOUNDS
from web.collectors import AgiMetrics, AmiCollector

HealthCheck = Callable[[], Awaitable[bool]]


def metrics_registry(agi: FastAGIServer, ami: AMIClient, listener: CallListener) -> CollectorRegistry:
    """A registry with the process' own metrics, the FastAGI sessions (the server's observer from now
    on) and the AMI connection (read at scrape time)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)  # memory, CPU, open files: process_*
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    agi.observer = AgiMetrics(registry)
    registry.register(AmiCollector(ami, LAG_BOUNDS, lambda: len(listener.tracker.calls)))
    return registry


def health_checks(agi: FastAGIServer, ami: AMIClient) -> dict[str, HealthCheck]:
    """Besides the store's own (web.make_app adds it): AMI logged in, FastAGI accepting connections."""

    async def ami_connected() -> bool:
        return ami.connected

    async def agi_listening() -> bool:
        return agi.listening

    return {"ami": ami_connected, "agi": agi_listening}
