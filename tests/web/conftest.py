from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from store import CallRecord, RecordingRecord, Store, calls, clients, users
from store.clock import iso
from web import hash_password, make_app

PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2", "root": "root-secret-3"}


@dataclass
class Api:
    client: TestClient
    store: Store
    recordings: Path
    health: dict[str, bool]

    async def token(self, login: str) -> str:
        resp = await self.client.post("/api/login", json={"login": login, "password": PASSWORDS[login]})
        assert resp.status == 200, await resp.text()
        return (await resp.json())["token"]

    async def get(self, path: str, login: str | None = None, **kw):
        headers = kw.pop("headers", {})
        if login:
            headers["Authorization"] = f"Bearer {await self.token(login)}"
        return await self.client.get(path, headers=headers, **kw)


def _wav(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(range(256)) * int(seconds * 8000 * 2 / 256))


def _seed(db, recordings: Path) -> None:
    clients.add_client(db, "1000", "Alice Co")
    clients.add_client(db, "2000", "Bob Co")
    users.add_user(db, "alice", hash_password(PASSWORDS["alice"], log2_n=10), "client", "1000")
    users.add_user(db, "bob", hash_password(PASSWORDS["bob"], log2_n=10), "client", "2000")
    users.add_user(db, "root", hash_password(PASSWORDS["root"], log2_n=10), "admin")
    # Yesterday: inside a client's history window (the last 60 days).
    day = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for i in range(3):
        rel = f"1000/{day:%Y/%m/%d}/17000000{i}0.1.wav"
        _wav(recordings / rel, 1.0)
        calls.save_call(db, CallRecord(
            linkedid=f"17000000{i}0.1", client_code="1000", started_at=iso(day + timedelta(seconds=i)),
            disposition="answered",
            recordings=(RecordingRecord(rel, (recordings / rel).stat().st_size, 1.0, "wav"),)))
    calls.save_call(db, CallRecord(linkedid="1800000000.1", client_code="2000",
                                   started_at=iso(day + timedelta(hours=1)), disposition="answered"))


@pytest.fixture
async def api(tmp_path) -> AsyncIterator[Api]:
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    recordings = tmp_path / "recordings"
    await store.write(lambda db: _seed(db, recordings))
    health = {"ami": True}

    async def ami() -> bool:
        return health["ami"]

    app = make_app(store, recordings, health_checks={"ami": ami})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, store, recordings, health)
    finally:
        await client.close()
        store.close()


SUPERVISOR = ("sup", "sup-secret-4")


@pytest.fixture
async def make_api(tmp_path):
    """An app like `api`'s with chosen security settings and extra routes, plus a supervisor."""
    from web.security import SecuritySettings

    stores: list[Store] = []
    test_clients: list[TestClient] = []

    async def make(settings: SecuritySettings | None = None, routes=(), live=None, admin=None) -> Api:
        store = Store(tmp_path / f"s{len(stores)}.sqlite3")
        store.open()
        stores.append(store)
        recordings = tmp_path / f"recordings{len(stores)}"

        def seed(db) -> None:
            _seed(db, recordings)
            users.add_user(db, SUPERVISOR[0], hash_password(SUPERVISOR[1], log2_n=10), "supervisor")

        await store.write(seed)
        app = make_app(store, recordings, security_settings=settings, live=live, admin_settings=admin)
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        client = TestClient(TestServer(app))
        await client.start_server()
        test_clients.append(client)
        return Api(client, store, recordings, {})

    try:
        yield make
    finally:
        for client in test_clients:
            await client.close()
        for store in stores:
            store.close()
