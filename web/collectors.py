"""What /metrics says about the telephony side: FastAGI sessions, the AMI connection, the stored calls.

The web app imports neither agi nor ami: the AGI side is an observer the FastAGI server calls
(agi.server.SessionObserver, matched by shape), the AMI side is read at scrape time from the objects'
own state through the protocols below. The wiring (permanence/serve.py) connects them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from store import Store
from store.counts import calls_by_disposition, messages_by_status

log = logging.getLogger(__name__)

# A call's AGI sessions are short (a DNIS lookup) or as long as the menus (the IVR route).
AGI_SESSION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0)


class AgiMetrics:
    """The FastAGI server's observer: sessions by route and outcome, in progress, and how long they ran."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.sessions = Counter("permanence_agi_sessions", "FastAGI sessions by route and outcome "
                                "(refused: over [agi] max_sessions)", ["route", "outcome"], registry=registry)
        self.in_progress = Gauge("permanence_agi_sessions_in_progress", "FastAGI sessions open now",
                                 registry=registry)
        self.duration = Histogram("permanence_agi_session_duration_seconds", "FastAGI session length by route",
                                  ["route"], buckets=AGI_SESSION_BUCKETS, registry=registry)

    def session_started(self) -> None:
        self.in_progress.inc()

    def session_ended(self, route: str, outcome: str, seconds: float) -> None:
        self.in_progress.dec()
        self.sessions.labels(route, outcome).inc()
        self.duration.labels(route).observe(seconds)

    def session_refused(self) -> None:
        self.sessions.labels("-", "refused").inc()


class AmiStats(Protocol):
    connects: int
    events: int
    lag_buckets: list[int]
    lag_sum: float
    lag_last: float


class AmiConnection(Protocol):
    """What the collector reads from ami.AMIClient."""

    @property
    def connected(self) -> bool: ...

    @property
    def stats(self) -> AmiStats: ...


class AmiCollector(Collector):
    """The AMI connection's state, read when Prometheus scrapes (nothing on the event path but the client's
    own counters)."""

    def __init__(self, client: AmiConnection, lag_bounds: Sequence[float],
                 calls_in_progress: Callable[[], int]) -> None:
        self._client = client
        self._bounds = tuple(lag_bounds)
        self._calls_in_progress = calls_in_progress

    def collect(self) -> Iterator[Metric]:
        stats = self._client.stats
        yield GaugeMetricFamily("permanence_ami_connected", "1 while logged in to the Asterisk manager, else 0",
                                value=1 if self._client.connected else 0)
        yield CounterMetricFamily("permanence_ami_connects", "AMI logins since start (more than one: reconnects)",
                                  value=stats.connects)
        yield CounterMetricFamily("permanence_ami_events", "AMI events received", value=stats.events)
        cumulative, buckets = 0, []
        for bound, count in zip((*self._bounds, float("inf")), stats.lag_buckets, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        yield HistogramMetricFamily(
            "permanence_ami_event_lag_seconds",
            "From an AMI event's Timestamp (manager.conf timestampevents=yes) to the end of its handling",
            buckets=buckets, sum_value=stats.lag_sum)
        yield GaugeMetricFamily("permanence_ami_event_lag_last_seconds", "The lag of the latest timestamped event",
                                value=stats.lag_last)
        yield GaugeMetricFamily("permanence_ami_calls_in_progress", "Calls the AMI listener is following now",
                                value=self._calls_in_progress())


class CallsCollector(Collector):
    """Calls in the store by disposition, and messages by dispatch status. The calls' query scans the
    calls table (about half a second per million calls without an index on disposition), so both run on
    a store reader thread before the scrape is rendered, at most once per `max_age` seconds, one at a
    time."""

    def __init__(self, store: Store, max_age: float = 10.0) -> None:
        self._store = store
        self._max_age = max_age
        self._counts: dict[str, int] | None = None
        self._messages: dict[str, int] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            if now - self._read_at < self._max_age:
                return
            try:
                self._counts = await self._store.read(calls_by_disposition)
                self._messages = await self._store.read(messages_by_status)
            except (sqlite3.Error, RuntimeError) as exc:
                log.warning("metrics: calls by disposition not read (%s); the last counts stay", exc)
                return
            self._read_at = now

    def collect(self) -> Iterator[Metric]:
        if self._counts is None:
            return  # never read: no series rather than zeros that are not true
        family = GaugeMetricFamily("permanence_calls_stored", "Calls in the store by disposition",
                                   labels=["disposition"])
        for disposition, count in self._counts.items():
            family.add_metric([disposition], count)
        yield family
        messages = GaugeMetricFamily("permanence_messages", "Messages by dispatch status; alerted: failed ones "
                                     "the dispatcher has not taken in hand", labels=["status"])
        for status, count in self._messages.items():
            messages.add_metric([status], count)
        yield messages
