"""A fake Asterisk for the FastAGI tests: it dials the server over real TCP and plays the AGI side.

    async with FakeAsterisk(server.port) as peer:
        await peer.send_header(agi_headers("dnis", "5145550100"))
        commands = await peer.play([("GET VARIABLE CHANNEL(linkedid)", "200 result=1 (1700000000.42)")],
                                   otherwise=Channel())

A script is a list of (expect, answer) steps, one per command the server sends. `expect` is the exact
command line, a compiled regex (fullmatch), a predicate, or None (anything). `answer` is one reply line,
a list of lines (multi-line 520, `100 Trying` first, an inline `HANGUP` …), raw bytes, `Chunks` (bytes
written in several TCP writes), or None (say nothing). After the script, `otherwise(command)` answers any
further command until the server closes the connection; without it a further command fails the test.
Every wait is bounded by `timeout`, so a broken server fails a test rather than hanging it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

LINKEDID = "1700000000.42"
UNIQUEID = "1700000000.41"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
UNKNOWN = "510 Invalid or unknown command"


@dataclass(frozen=True)
class Chunks:
    """Bytes written in separate TCP writes with a pause between them (e.g. HANGUP, then the reply)."""

    parts: tuple[bytes, ...]
    pause: float = 0.05

    def __init__(self, *parts: bytes, pause: float = 0.05) -> None:
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "pause", pause)


Answer = str | bytes | Sequence[str] | Chunks
Expect = str | re.Pattern[str] | Callable[[str], bool] | None
Step = tuple[Expect, Answer | None]
Otherwise = Callable[[str], Answer | None]


def agi_headers(script: str = "dnis", *args: str, **extra: str | bytes) -> dict[str, str | bytes]:
    """A request header as Asterisk 22 sends it for AGI(agi://127.0.0.1/<script>,<args>)."""
    headers: dict[str, str | bytes] = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://127.0.0.1/{script}",
        "agi_channel": "PJSIP/trunk-00000001",
        "agi_language": "en",
        "agi_type": "PJSIP",
        "agi_uniqueid": UNIQUEID,
        "agi_version": "22.0.0",
        "agi_callerid": "5145551234",
        "agi_calleridname": "Test Caller",
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": "5145550100",
        "agi_rdnis": "unknown",
        "agi_context": "from-trunk",
        "agi_extension": "5145550100",
        "agi_priority": "2",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "140000000000000",
    }
    for n, arg in enumerate(args, 1):
        headers[f"agi_arg_{n}"] = arg
    headers.update(extra)
    return headers


def header_bytes(headers: Mapping[str, str | bytes]) -> bytes:
    """`key: value` lines and the blank line; bytes values go out as they are (non-UTF-8 tests)."""
    out = bytearray()
    for key, value in headers.items():
        out += key.encode() + b": " + (value if isinstance(value, bytes) else str(value).encode()) + b"\n"
    return bytes(out + b"\n")


def encode_answer(answer: str | bytes | Sequence[str]) -> bytes:
    if isinstance(answer, bytes):
        return answer
    lines = [answer] if isinstance(answer, str) else list(answer)
    return b"".join(line.encode() + b"\n" for line in lines)


def split_command(line: str) -> list[str]:
    """Split a command line the way res_agi's parse_args does: quotes group, backslash escapes."""
    words: list[str] = []
    buf: list[str] = []
    quoted = escaped = started = False
    for ch in line:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = started = True
        elif ch == '"':
            quoted = not quoted
            started = True
        elif ch.isspace() and not quoted:
            if started:
                words.append("".join(buf))
                buf, started = [], False
        else:
            buf.append(ch)
            started = True
    if started:
        words.append("".join(buf))
    return words


class Channel:
    """The channel behind the call: answers GET/SET VARIABLE, VERBOSE and NOOP like Asterisk does and
    keeps the variables the dialplan would see after AGI() returns. Usable as `otherwise`."""

    USAGE_SET = (
        "520-Invalid command syntax.  Proper usage follows:",
        "Usage: SET VARIABLE <variablename> <value>",
        "       Sets a variable to the current channel.",
        "520 End of proper usage.",
    )

    def __init__(self, variables: Mapping[str, str] | None = None) -> None:
        self.variables: dict[str, str] = {"CHANNEL(linkedid)": LINKEDID, **(variables or {})}
        self.set_order: list[str] = []

    def __call__(self, command: str) -> Answer:
        words = split_command(command)
        verb = " ".join(w.upper() for w in words[:2])
        if verb == "SET VARIABLE":
            if len(words) != 4:
                return self.USAGE_SET
            self.variables[words[2]] = words[3]
            self.set_order.append(words[2])
            return "200 result=1"
        if verb == "GET VARIABLE" and len(words) == 3:
            value = self.variables.get(words[2])
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if words and words[0].upper() in ("VERBOSE", "NOOP"):
            return "200 result=1"
        return UNKNOWN


def _matches(expect: Expect, command: str) -> bool:
    if expect is None:
        return True
    if isinstance(expect, str):
        return command == expect
    if isinstance(expect, re.Pattern):
        return expect.fullmatch(command) is not None
    return bool(expect(command))


class FakeAsterisk:
    """One AGI connection, Asterisk's side."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 2.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.commands: list[str] = []
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> FakeAsterisk:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        async with asyncio.timeout(self.timeout):
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    @property
    def reader(self) -> asyncio.StreamReader:
        assert self._reader is not None, "not connected"
        return self._reader

    @property
    def writer(self) -> asyncio.StreamWriter:
        assert self._writer is not None, "not connected"
        return self._writer

    async def send(self, data: bytes) -> bool:
        """Write raw bytes; False if the server has closed the connection already (floods)."""
        try:
            self.writer.write(data)
            async with asyncio.timeout(self.timeout):
                await self.writer.drain()
        except (ConnectionError, BrokenPipeError):
            return False
        return True

    async def send_header(self, headers: Mapping[str, str | bytes] | bytes) -> bool:
        return await self.send(headers if isinstance(headers, bytes) else header_bytes(headers))

    def write_eof(self) -> None:
        """Half-close: the server sees EOF, we can still see whether (and when) it closes."""
        self.writer.write_eof()

    async def read_command(self) -> str | None:
        """The next command line from the server, or None once it has closed the connection."""
        try:
            async with asyncio.timeout(self.timeout):
                raw = await self.reader.readline()
        except TimeoutError:
            raise AssertionError(
                f"no command and no close from the server within {self.timeout:g} s; "
                f"commands so far: {self.commands}"
            ) from None
        except ConnectionError:
            return None
        if not raw:
            return None
        assert raw.endswith(b"\n"), f"command not terminated by a newline: {raw!r}"
        command = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        self.commands.append(command)
        return command

    async def answer(self, answer: Answer) -> None:
        if isinstance(answer, Chunks):
            for n, part in enumerate(answer.parts):
                if n:
                    await asyncio.sleep(answer.pause)
                await self.send(part)
        else:
            await self.send(encode_answer(answer))

    async def play(self, script: Sequence[Step] = (), otherwise: Otherwise | None = None) -> list[str]:
        """Answer the script's commands, then `otherwise` until the server closes; the commands seen."""
        for n, (expect, answer) in enumerate(script):
            command = await self.read_command()
            if command is None:
                raise AssertionError(
                    f"server closed the connection before step {n} ({expect!r}); commands: {self.commands}")
            if not _matches(expect, command):
                raise AssertionError(f"step {n}: expected {expect!r}, server sent {command!r}")
            if answer is not None:
                await self.answer(answer)
        while (command := await self.read_command()) is not None:
            if otherwise is None:
                raise AssertionError(f"unexpected command after the script: {command!r}")
            answer = otherwise(command)
            if answer is not None:
                await self.answer(answer)
        return self.commands

    async def wait_closed(self) -> bytes:
        """Read until the server closes (within timeout); whatever it sent meanwhile."""
        received = bytearray()
        try:
            async with asyncio.timeout(self.timeout):
                while chunk := await self.reader.read(65536):
                    received += chunk
        except TimeoutError:
            raise AssertionError(f"server did not close the connection within {self.timeout:g} s") from None
        except ConnectionError:
            pass  # closed with unread data on its side: a reset is a close too
        return bytes(received)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                async with asyncio.timeout(self.timeout):
                    await self._writer.wait_closed()
            except (ConnectionError, TimeoutError):
                pass
            self._writer = None


async def call(port: int, headers: Mapping[str, str | bytes] | bytes, script: Sequence[Step] = (),
               otherwise: Otherwise | None = None, timeout: float = 2.0) -> list[str]:
    """One whole AGI call: connect, header, script; returns the commands the server sent."""
    async with FakeAsterisk(port, timeout=timeout) as peer:
        await peer.send_header(headers)
        return await peer.play(script, otherwise)
