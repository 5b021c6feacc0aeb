"""One FastAGI session: the request header, then commands and their replies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from .protocol import (
    MAX_HEADER_LINES,
    MAX_USAGE_LINES,
    ChannelHungUp,
    CommandError,
    HeaderError,
    ProtocolError,
    Reply,
    decode_line,
    format_command,
    parse_header_line,
    parse_reply,
)

log = logging.getLogger(__name__)


async def read_header(reader: asyncio.StreamReader, timeout: float) -> dict[str, str]:
    """Read the header block; any fault (EOF, silence, garbage, flood) raises HeaderError."""
    headers: dict[str, str] = {}
    try:
        async with asyncio.timeout(timeout):
            for _ in range(MAX_HEADER_LINES):
                raw = await reader.readline()
                if not raw.endswith(b"\n"):
                    raise HeaderError("connection closed in the middle of the AGI header")
                line = decode_line(raw)
                if line == "":
                    if not headers:
                        raise HeaderError("empty AGI header")
                    return headers
                key, value = parse_header_line(line)
                headers[key] = value
    except TimeoutError:
        raise HeaderError(f"AGI header not complete within {timeout:g} s") from None
    except (asyncio.LimitOverrunError, ValueError):
        raise HeaderError("AGI header line too long") from None
    raise HeaderError(f"AGI header longer than {MAX_HEADER_LINES} lines")


class AGISession:
    """Commands on one channel. `ChannelHungUp` ends the handler when the caller is gone."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 headers: Mapping[str, str], command_timeout: float = 30.0) -> None:
        self._reader = reader
        self._writer = writer
        self.headers = dict(headers)
        self.command_timeout = command_timeout
        self.hung_up = False
        # Set when a reply went missing or made no sense: what arrives next can no longer be paired
        # with a command, so nothing more is sent on this connection.
        self.desynchronised = False
        self.linkedid: str | None = None
        # One watchdog per session rather than a timer per command (a Timeout object and a timer
        # handle for each of a call's dozens of commands showed in profiles): it sleeps until the
        # earliest deadline it knows, moves itself on if the command in flight has a later one, and
        # aborts the connection if that command is overdue.
        self._deadline: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._overdue = False

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    def _arm(self, deadline: float) -> None:
        self._deadline = deadline
        if self._watchdog is not None and self._watchdog.when() <= deadline:
            return
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = asyncio.get_running_loop().call_at(deadline, self._check)

    def _check(self) -> None:
        self._watchdog = None
        if self._deadline is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._watchdog = loop.call_at(self._deadline, self._check)
            return
        self._overdue = True
        self._writer.transport.abort()  # wakes the pending read or drain

    @property
    def script(self) -> str:
        """The route asked for: agi://host:port/<script>?… → '<script>'."""
        return self.headers.get("agi_network_script", "").split("?", 1)[0].strip("/")

    @property
    def args(self) -> list[str]:
        out, n = [], 1
        while f"agi_arg_{n}" in self.headers:
            out.append(self.headers[f"agi_arg_{n}"])
            n += 1
        return out

    @property
    def call_ref(self) -> str:
        """How logs name this call: the linkedid once known, else the channel's uniqueid."""
        return self.linkedid or self.headers.get("agi_uniqueid", "?")

    async def command(self, *parts: object, timeout: float | None = None) -> Reply:
        if self.hung_up:
            raise ChannelHungUp(f"call {self.call_ref}: caller hung up")
        if self.desynchronised:
            raise ProtocolError(f"call {self.call_ref}: connection out of step, {parts[0]} not sent")
        data = format_command(*parts)
        name = str(parts[0])
        limit = self.command_timeout if timeout is None else timeout
        self._arm(asyncio.get_running_loop().time() + limit)
        try:
            self._writer.write(data)
            await self._writer.drain()
            reply = await self._read_reply(name)
        except ProtocolError:
            self.desynchronised = True
            raise
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            if self._overdue:
                self.desynchronised = True
                raise ProtocolError(f"call {self.call_ref}: no reply to {name} within {limit:g} s") from None
            self.hung_up = True
            raise ChannelHungUp(f"call {self.call_ref}: connection closed ({exc})") from None
        finally:
            self._deadline = None
        if reply.code == 511:
            self.hung_up = True
            raise ChannelHungUp(f"call {self.call_ref}: channel is dead ({name})")
        if reply.code in (510, 520):
            raise CommandError(name, reply.code, reply.text)
        if reply.code != 200:
            raise ProtocolError(f"call {self.call_ref}: unexpected reply {reply.code} to {name}")
        return reply

    async def _readline(self) -> str:
        try:
            raw = await self._reader.readline()
        except ValueError:  # over the stream's line limit
            raise ProtocolError(f"call {self.call_ref}: reply line too long") from None
        if not raw.endswith(b"\n"):
            raise ConnectionError("EOF from Asterisk")
        return decode_line(raw)

    async def _read_reply(self, name: str) -> Reply:
        while True:
            line = await self._readline()
            if line == "HANGUP":
                # The caller hung up; the reply to the command in flight still follows.
                self.hung_up = True
                continue
            if line.startswith("100"):
                continue
            if line.startswith("520-"):
                usage = [line[4:]]
                for _ in range(MAX_USAGE_LINES):
                    more = await self._readline()
                    if more.startswith("520 "):
                        return Reply(code=520, text="\n".join(usage))
                    usage.append(more)
                raise ProtocolError(f"call {self.call_ref}: 520 usage block for {name} never ended")
            return parse_reply(line)

    # Commands used by the routes; each returns what the dialplan author would expect.

    async def set_variable(self, name: str, value: object) -> None:
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command("GET VARIABLE", name)
        return reply.data if reply.result == 1 else None

    async def verbose(self, message: str, level: int = 1) -> None:
        await self.command("VERBOSE", message, level)

    async def stream_file(self, prompt: str, escape_digits: str = "") -> str | None:
        """Play a prompt; returns the digit pressed to interrupt it, if any."""
        reply = await self.command("STREAM FILE", prompt, escape_digits, timeout=self.command_timeout * 10)
        if reply.result is None or reply.result == -1:
            raise ChannelHungUp(f"call {self.call_ref}: STREAM FILE {prompt} failed")
        return chr(reply.result) if reply.result > 0 else None

    async def wait_for_digit(self, timeout_s: float) -> str | None:
        """One DTMF digit, or None when none came in time."""
        reply = await self.command("WAIT FOR DIGIT", int(timeout_s * 1000), timeout=timeout_s + self.command_timeout)
        if reply.result is None or reply.result < 0:
            raise ChannelHungUp(f"call {self.call_ref}: WAIT FOR DIGIT failed")
        return chr(reply.result) if reply.result > 0 else None

    async def say_digits(self, digits: str) -> None:
        reply = await self.command("SAY DIGITS", digits, "", timeout=self.command_timeout * 4)
        if reply.result is not None and reply.result < 0:
            raise ChannelHungUp(f"call {self.call_ref}: SAY DIGITS failed")
