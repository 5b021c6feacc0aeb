"""The web app with its admin API over a real SQLite store: an admin, a supervisor and a client user,
clients 1000 and 2000, the project's prompt catalog (so the demo menu checks as `ivr check` does)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from store import Store, clients, users
from tests.support import REPO
from web import hash_password, make_app
from web.admin import AdminSettings, AsteriskAdmin

PASSWORDS = {"root": "root-secret-3", "sup": "sup-secret-4", "alice": "alice-secret-1"}
DEMO_MENU = REPO / "ivr" / "examples" / "demo.yaml"


@dataclass
class Admin:
    client: TestClient
    store: Store
    tokens: dict[str, str] = field(default_factory=dict)

    async def token(self, login: str) -> str:
        if login not in self.tokens:
            resp = await self.client.post("/api/login", json={"login": login, "password": PASSWORDS[login]})
            assert resp.status == 200, await resp.text()
            self.tokens[login] = (await resp.json())["token"]
        return self.tokens[login]

    async def call(self, method: str, path: str, body: Any = None, *, login: str | None = "root",
                   raw: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {await self.token(login)}"} if login else {}
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        if raw is not None:
            kwargs = {"data": raw, "headers": {**headers, "Content-Type": "application/json"}}
        else:
            kwargs["headers"] = headers
        resp = await self.client.request(method, path, **kwargs)
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None)


def _seed(db) -> None:
    clients.add_client(db, "1000", "Alice Co")
    clients.add_client(db, "2000", "Bob Co")
    users.add_user(db, "root", hash_password(PASSWORDS["root"], log2_n=10), "admin")
    users.add_user(db, "sup", hash_password(PASSWORDS["sup"], log2_n=10), "supervisor")
    users.add_user(db, "alice", hash_password(PASSWORDS["alice"], log2_n=10), "client", "1000")


@asynccontextmanager
async def admin_app(tmp_path: Path, asterisk: AsteriskAdmin | None = None,
                    agent_presence: Any = None) -> AsyncIterator[Admin]:
    store = Store(tmp_path / "admin.sqlite3")
    store.open()
    await store.write(_seed)
    settings = AdminSettings(prompts_dir=REPO / "svi_prompts", default_region="CA", asterisk=asterisk)
    client = TestClient(TestServer(make_app(store, tmp_path / "recordings", admin_settings=settings,
                                            agent_presence=agent_presence(store) if agent_presence else None)))
    await client.start_server()
    try:
        yield Admin(client, store)
    finally:
        await client.close()
        store.close()


def menu_item(text: str | None = None, source: str = "demo.yaml") -> dict:
    return {"menus": [{"source": source, "yaml": text if text is not None else DEMO_MENU.read_text("utf-8")}]}
