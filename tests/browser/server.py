"""The real app for the browser: web.make_app over a real SQLite store and recordings directory,
served on a free loopback port by its own event loop in a thread of the pytest process (so a test can
also feed the live view the AMI events a supervisor's wallboard should show)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from ami.live import LiveState
from ami.originate import Originator
from ami.screenpop import ScreenPops
from store import Store
from store.clock import iso
from tests.support import free_port
from web import make_app
from web.admin import AdminSettings
from web.security import SecuritySettings

START_TIMEOUT_S = 20


class PortalServer:
    def __init__(self, store_path: Path, recordings: Path, settings: SecuritySettings,
                 admin: AdminSettings | None = None) -> None:
        self._store_path, self.recordings, self._settings, self._admin = store_path, recordings, settings, admin
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="portal-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self.store: Store | None = None
        self.live: LiveState | None = None
        self.pops: ScreenPops | None = None
        self.closed_port = free_port()  # bound by nobody: AMI "unreachable"
        self.url = ""

    @property
    def store_path(self) -> Path:
        return self._store_path

    def start(self) -> None:
        self._thread.start()
        self.url = self._run(self._start()).result(START_TIMEOUT_S)

    def _run(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def _start(self) -> str:
        self.store = Store(self._store_path)
        self.store.open()
        self.live = LiveState()  # the AMI listener's own live state, fed by feed() below
        self.pops = ScreenPops(self.store, self.live, "CA")  # and its screen pops, after it
        # No Asterisk behind the portal: the supervisors' Originate goes to a port nobody listens on, and
        # the page shows the refusal (the call itself is placed in tests/e2e/test_desk.py).
        originator = Originator("127.0.0.1", self.closed_port, "permanence-originate", "no-asterisk-here", timeout=1.0)
        app = make_app(self.store, self.recordings, live=self.live, security_settings=self._settings, pops=self.pops,
                       admin_settings=self._admin, originator=originator,
                       live_refresh_s=1.0)  # the wallboard's day figures: quick to catch up in the tests
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    def feed(self, event: Mapping[str, str]) -> None:
        """An AMI event for the live view, handled on the server's loop as the listener would."""
        async def handle() -> None:
            assert self.live is not None and self.pops is not None
            when = iso(datetime.now(UTC))
            self.live.feed(event, when)
            self.pops.feed(event, when)
            await self.pops.drain()

        self._run(handle()).result(5)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            self._run(shutdown()).result(START_TIMEOUT_S)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_S)
            if self.store is not None:
                self.store.close()
            self._loop.close()
