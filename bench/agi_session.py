"""One AGI session as Asterisk holds it on FastAGI (bench.agi_client): the request header a channel
sends, then, on one TCP connection, an answer to every command until the server hangs up.

Like a channel, a call keeps its variables: SET VARIABLE stores a value, GET VARIABLE reads it back
(`200 result=1 (value)`, or `200 result=0` if unset), so the `ivr` session reads what `dnis` set.
STREAM FILE and WAIT FOR DIGIT answer from the call's script (see bench.scenario)."""

from __future__ import annotations

import asyncio

from . import scenario as sc
from .scenario import HOST, Press

SESSION_TIMEOUT = 10.0  # seconds: a server that never hangs up fails the session, not the bench

_HEADER = (
    ("agi_network", "yes"),
    ("agi_network_script", "{script}"),
    ("agi_request", "agi://{host}:{port}/{script}"),
    ("agi_channel", "PJSIP/trunk-{n:08x}"),
    ("agi_language", "{language}"),
    ("agi_type", "PJSIP"),
    ("agi_uniqueid", "{uniqueid}"),
    ("agi_version", "20.5.0"),
    ("agi_callerid", "{caller}"),
    ("agi_calleridname", sc.CALLER_NAME),
    ("agi_callingpres", "0"),
    ("agi_callingani2", "0"),
    ("agi_callington", "0"),
    ("agi_callingtns", "0"),
    ("agi_dnid", sc.DIALLED),
    ("agi_rdnis", "unknown"),
    ("agi_context", "{context}"),
    ("agi_extension", "{extension}"),
    ("agi_priority", "{priority}"),
    ("agi_enhanced", "0.0"),
    ("agi_accountcode", ""),  # Asterisk sends `agi_accountcode: ` (with the space) when empty
    ("agi_threadid", "140245081482816"),
    ("agi_arg_1", "{arg}"),
)
_HEADER_TEMPLATE = "".join(f"{key}: {value}\n" for key, value in _HEADER) + "\n"


def header(port: int, n: int, caller: str, script: str = "dnis", arg: str = sc.DIALLED,
           language: str = sc.CHANNEL_LANGUAGE) -> bytes:
    """The request header of call n's `dnis` session (or, with script='ivr', of its `ivr` session)."""
    dnis = script == "dnis"
    return _HEADER_TEMPLATE.format(
        host=HOST, port=port, n=n, uniqueid=uniqueid(n), script=script, caller=caller, arg=arg, language=language,
        context="from-trunk" if dnis else "permanence-call", extension=sc.DIALLED if dnis else "client",
        priority="2" if dnis else "4").encode()


def uniqueid(n: int) -> str:
    return f"1700000000.{n}"


class _Session(asyncio.Protocol):
    """One AGI session on a bare asyncio.Protocol: far cheaper per line than streams, so that the load
    generator costs less than the servers it measures."""

    def __init__(self, header: bytes, channel: dict[str, str], presses: list[Press],
                 done: asyncio.Future[str | None]) -> None:
        self._header = header
        self._channel = channel
        self._presses = presses
        self._done = done
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self.lines: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._header)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        buffer = self._buffer + data
        start = 0
        replies = []
        while (end := buffer.find(b"\n", start)) >= 0:
            line = buffer[start:end + 1]
            start = end + 1
            self.lines.append(line)
            replies.append(self._reply(line))
        self._buffer = buffer[start:]
        if replies:
            self._transport.write(b"".join(replies))

    def _reply(self, line: bytes) -> bytes:
        if line.startswith(b"SET VARIABLE "):
            name, _, value = line[13:-1].decode().partition(" ")
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            self._channel[name] = value
            return b"200 result=1\n"
        if line.startswith(b"GET VARIABLE "):
            value = self._channel.get(line[13:-1].decode().strip())
            return b"200 result=0\n" if value is None else f"200 result=1 ({value})\n".encode()
        presses = self._presses
        if line.startswith(b"STREAM FILE "):
            played = line[12:].split(b" ", 1)[0].decode()
            if presses and presses[0].during is not None and played.endswith("/" + presses[0].during):
                return f"200 result={ord(presses.pop(0).digit)} endpos={sc.ENDPOS_INTERRUPTED}\n".encode()
            return f"200 result=0 endpos={sc.ENDPOS_PLAYED}\n".encode()
        if line.startswith(b"WAIT FOR DIGIT "):
            if presses and presses[0].during is None:
                return f"200 result={ord(presses.pop(0).digit)}\n".encode()
            return b"200 result=0\n"
        return b"510 Invalid or unknown command\n"

    def connection_lost(self, exc: Exception | None) -> None:
        if self._done.done():
            return
        if exc is not None:
            self._done.set_result(f"{exc.__class__.__name__} after {len(self.lines)} commands")
        elif self._buffer:
            self._done.set_result("connection closed in the middle of a command")
        else:
            self._done.set_result(None)


async def session(port: int, header: bytes, channel: dict[str, str],
                  presses: list[Press] | None = None) -> tuple[str | None, list[bytes]]:
    """One AGI session, until the server closes: (None, commands) on a clean end, else (why, commands)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str | None] = loop.create_future()
    conversation = _Session(header, channel, presses if presses is not None else [], done)
    try:
        async with asyncio.timeout(SESSION_TIMEOUT):
            transport, _ = await loop.create_connection(lambda: conversation, HOST, port)
            try:
                reason = await done
            finally:
                transport.close()
    except TimeoutError:  # before OSError, of which it is a subclass
        return f"no end of session within {SESSION_TIMEOUT:g} s ({len(conversation.lines)} commands)", []
    except OSError as exc:
        return f"connect: {exc.__class__.__name__}", []
    return reason, conversation.lines
