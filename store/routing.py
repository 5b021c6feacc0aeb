"""What every call needs, kept in memory: DID → client, and each client's active menus.

The call path asks this many times a second; the answers change when an admin changes them. The
store's generation counter (moved by triggers whenever clients, DIDs or active menus change, from
any process: the CLI included) is read on every lookup — one point read on this object's own
connection, which in WAL mode never waits for the writer — and the tables are re-read only when it
moved. So a change applies to the next call, and calls in between cost no thread hop.
"""

from __future__ import annotations

import sqlite_utils

from .clients import Client, _row_to_client
from .menus import StoredMenu, active_menus


class RoutingData:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self._generation: int | None = None
        self._clients: dict[str, Client] = {}
        self._by_did: dict[str, Client] = {}
        self._menus: dict[str, dict[str, StoredMenu]] = {}
        self.reloads = 0

    def _fresh(self) -> None:
        generation = self._db.execute("SELECT n FROM generation").fetchone()[0]
        if generation == self._generation:
            return
        # One read transaction: the three tables agree with each other and with the counter.
        self._db.execute("BEGIN")
        try:
            generation = self._db.execute("SELECT n FROM generation").fetchone()[0]
            clients = {r["code"]: _row_to_client(r) for r in self._db.query("SELECT * FROM clients")}
            by_did = {r["did"]: clients[r["client_code"]] for r in self._db.query("SELECT did, client_code FROM dids")}
            menus: dict[str, dict[str, StoredMenu]] = {}
            for name, menu in active_menus(self._db).items():
                menus.setdefault(menu.client_code, {})[name] = menu
        finally:
            self._db.execute("COMMIT")
        self._clients, self._by_did, self._menus = clients, by_did, menus
        self._generation = generation
        self.reloads += 1

    def client_for_did(self, did: str) -> Client | None:
        self._fresh()
        return self._by_did.get(did)

    def client(self, code: str) -> Client | None:
        self._fresh()
        return self._clients.get(code)

    def menus_of(self, client_code: str) -> dict[str, StoredMenu]:
        self._fresh()
        return self._menus.get(client_code, {})
