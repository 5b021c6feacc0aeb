"""A fully wired web app for the operations tests (metrics, access log, OpenAPI, health): a real SQLite
store with calls of several dispositions, an admin and a client, a metrics registry and token, and
the scrape parsed back into samples."""

from __future__ import annotations

import logging
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from store import CallRecord, RecordingRecord, Store, calls, clients, users
from store.clock import iso
from web import hash_password, make_app
from web.access import JsonAccessLogger

METRICS_TOKEN = "scrape-" + "0123456789abcdef" * 3
PASSWORDS = {"root": "root-secret-3", "alice": "alice-secret-1"}
# Calls in the store by disposition (client 1000's, recent: inside any history window).
DISPOSITIONS = {"answered": 3, "abandoned_queue": 2, "voicemail": 1}
RECORDING = "1000/2026/01/01/1700000000.1.wav"
RECORDED_CALL = "1700000000.1"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Exposition text → {(sample name, labels): value}."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8000)


def seed(db, recordings: Path) -> None:
    clients.add_client(db, "1000", "Alice Co")
    users.add_user(db, "alice", hash_password(PASSWORDS["alice"], log2_n=10), "client", "1000")
    users.add_user(db, "root", hash_password(PASSWORDS["root"], log2_n=10), "admin")
    _wav(recordings / RECORDING)
    start = datetime.now(UTC) - timedelta(hours=1)
    n = 0
    for disposition, count in DISPOSITIONS.items():
        for _ in range(count):
            linkedid = f"17000000{n:02d}.1"
            recs = ((RecordingRecord(RECORDING, (recordings / RECORDING).stat().st_size, 1.0, "wav"),)
                    if linkedid == RECORDED_CALL else ())
            calls.save_call(db, CallRecord(linkedid=linkedid, client_code="1000", disposition=disposition,
                                           started_at=iso(start + timedelta(minutes=n)), recordings=recs))
            n += 1


@dataclass
class Ops:
    client: TestClient
    store: Store
    registry: CollectorRegistry

    async def token(self, login: str) -> str:
        resp = await self.client.post("/api/login", json={"login": login, "password": PASSWORDS[login]})
        assert resp.status == 200, await resp.text()
        return (await resp.json())["token"]

    async def scrape(self) -> Samples:
        resp = await self.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"].startswith("text/plain")
        return parse(await resp.text())


@asynccontextmanager
async def serving(tmp_path: Path, *, metrics_token: str = METRICS_TOKEN, registry: CollectorRegistry | None = None,
                  health_checks: dict[str, Callable[[], Awaitable[bool]]] | None = None,
                  access_log: logging.Logger | None = None, **app_options) -> AsyncIterator[Ops]:
    """The app on a test server; with `access_log`, aiohttp writes its access lines there as serve does."""
    store = Store(tmp_path / "ops.sqlite3")
    store.open()
    recordings = tmp_path / "recordings"
    await store.write(lambda db: seed(db, recordings))
    registry = registry if registry is not None else CollectorRegistry()
    app = make_app(store, recordings, health_checks=health_checks, registry=registry, metrics_token=metrics_token,
                   **app_options)
    server = TestServer(app)
    # The runner's options go to start_server (TestServer's constructor drops them).
    await server.start_server(**({"access_log_class": JsonAccessLogger, "access_log": access_log}
                                 if access_log else {}))
    client = TestClient(server)
    await client.start_server()
    try:
        yield Ops(client, store, registry)
    finally:
        await client.close()
        store.close()
