"""A faulty peer (bench.runner's fault-tolerance runs): one connection to the FastAGI server that
never completes its AGI header, kept open while the load generator (bench.agi_client) calls."""

from __future__ import annotations

import asyncio
import functools

from . import scenario as sc
from .agi_session import SESSION_TIMEOUT, header
from .scenario import HOST

FAULTS = {
    "half-header": "sends half an AGI header, then stays silent",
    "silent": "connects and sends nothing",
}


class _Faulty(asyncio.Protocol):
    def __init__(self, payload: bytes, lost: asyncio.Future[None]) -> None:
        self._payload = payload
        self._lost = lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self._payload:
            transport.write(self._payload)

    def data_received(self, data: bytes) -> None:
        pass  # a faulty peer reads nothing it is sent

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._lost.done():
            self._lost.set_result(None)


class FaultyPeer:
    """One faulty connection kept open to the server while the others call: when the server drops it
    (its header timeout), the peer connects again. `connections` counts them: the server must see each
    as one header error."""

    def __init__(self, port: int, variant: str) -> None:
        if variant not in FAULTS:
            raise ValueError(f"no fault {variant!r}")
        whole = header(port, 0, sc.caller_number(0))
        self._payload = whole[:len(whole) // 2] if variant == "half-header" else b""
        self._port = port
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self.connections = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self._connected.wait(), SESSION_TIMEOUT)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            lost: asyncio.Future[None] = loop.create_future()
            transport, _ = await loop.create_connection(functools.partial(_Faulty, self._payload, lost),
                                                        HOST, self._port)
            self.connections += 1
            self._connected.set()
            try:
                await lost
            finally:
                transport.close()
