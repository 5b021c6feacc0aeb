"""A fake Asterisk manager over real TCP, for faults a real Asterisk will not produce on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def block(**fields: str) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode("utf-8")


class FakeAMI:
    """Accepts logins; answers Ping unless told not to; `send` pushes raw bytes to every client."""

    def __init__(self, *, accept_login: bool = True, answer_pings: bool = True) -> None:
        self.accept_login = accept_login
        self.answer_pings = answer_pings
        self.list_answer = True  # answer CoreShowChannels itself (tests may answer it instead)
        self.logins = 0
        self.actions: list[dict[str, str]] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.on_login: Callable[[asyncio.StreamWriter], None] | None = None
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for w in self.writers:
            w.close()
        if self.server:
            self.server.close()
            await self.server.wait_closed()

    def drop_clients(self) -> None:
        for w in self.writers:
            w.close()
        self.writers.clear()

    async def send(self, data: bytes, split_at: int | None = None) -> None:
        for w in list(self.writers):
            if split_at is None:
                w.write(data)
            else:
                w.write(data[:split_at])
                await w.drain()
                await asyncio.sleep(0.05)  # a separate TCP read on the other side
                w.write(data[split_at:])
            await w.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                fields = dict(line.split(": ", 1) for line in raw.decode().strip().split("\r\n"))
                self.actions.append(fields)
                action, action_id = fields.get("Action"), fields.get("ActionID", "")
                if action == "Login":
                    self.logins += 1
                    if self.accept_login:
                        writer.write(block(Response="Success", ActionID=action_id, Message="Authentication accepted"))
                    else:
                        writer.write(block(Response="Error", ActionID=action_id, Message="Authentication failed"))
                elif action == "Ping" and self.answer_pings:
                    writer.write(block(Response="Success", ActionID=action_id, Ping="Pong"))
                elif action == "CoreShowChannels" and self.list_answer:
                    writer.write(block(Response="Success", ActionID=action_id, EventList="start"))
                    writer.write(block(Event="CoreShowChannel", ActionID=action_id, Channel="PJSIP/a-1"))
                    writer.write(block(Event="CoreShowChannelsComplete", ActionID=action_id, EventList="Complete"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
