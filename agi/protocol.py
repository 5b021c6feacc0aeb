"""The AGI wire format: the request header and command replies (no sockets here).

Reply forms (res_agi.c): `200 result=N [(data)] [endpos=N]`, `100 result=0 Trying...` before a reply,
`510 Invalid or unknown command`, `511 Command Not Permitted on a dead channel or intercept routine`,
a multi-line usage error `520-Invalid command syntax.  Proper usage follows:` … `520 End of proper
usage.`, and the inline `HANGUP` line sent when the caller hangs up (it may arrive before any reply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEADER_LINES = 128
MAX_USAGE_LINES = 64


class AGIError(Exception):
    """Base of the AGI errors."""


class HeaderError(AGIError):
    """The request header is missing, truncated or malformed."""


class ProtocolError(AGIError):
    """A reply that does not follow the AGI protocol."""


class ChannelHungUp(AGIError):
    """The caller hung up: a normal end of a call, never a crash."""


class CommandError(AGIError):
    """Asterisk refused a command (510 unknown, 520 usage)."""

    def __init__(self, command: str, code: int, text: str) -> None:
        super().__init__(f"{command!r} refused with {code}: {text}")
        self.command = command
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Reply:
    code: int
    result: int | None = None
    data: str | None = None
    endpos: int | None = None
    text: str = ""


_RESULT = re.compile(r"^result=(-?\d+)(?:\s+\((.*)\))?(?:\s+endpos=(\d+))?\s*$")
_REPLY = re.compile(r"^(\d{3})(?:[ -](.*))?$")
# The replies most commands get (SET VARIABLE, a timed-out WAIT FOR DIGIT): parsed once.
_COMMON = {line: Reply(200, int(line[-1]), None, None, line[4:]) for line in ("200 result=0", "200 result=1")}


def decode_line(raw: bytes) -> str:
    """Bytes of one line to text; bytes that are not UTF-8 are replaced, never fatal."""
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def parse_header_line(line: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    key = key.strip()
    if not sep or not key.startswith("agi_") or not re.fullmatch(r"agi_[a-z0-9_]+", key):
        raise HeaderError(f"malformed AGI header line {line[:80]!r}")
    return key, value.strip()


def parse_reply(line: str) -> Reply:
    """Parse a single-line reply (the 520 block is gathered by the session first)."""
    common = _COMMON.get(line)
    if common is not None:
        return common
    match = _REPLY.match(line)
    if not match:
        raise ProtocolError(f"not an AGI reply: {line[:80]!r}")
    code = int(match.group(1))
    rest = match.group(2) or ""
    if code in (100, 200):
        result = _RESULT.match(rest)
        if result is None:
            raise ProtocolError(f"malformed {code} reply: {line[:80]!r}")
        return Reply(
            code=code,
            result=int(result.group(1)),
            data=result.group(2),
            endpos=int(result.group(3)) if result.group(3) else None,
            text=rest,
        )
    return Reply(code=code, text=rest)


def quote_arg(value: object) -> str:
    """One command argument, quoted as res_agi parses it; newlines would inject a second command."""
    text = str(value)
    if "\n" in text or "\r" in text or "\0" in text:
        raise ValueError(f"AGI argument contains a line break or NUL: {text[:40]!r}")
    if text and not re.search(r'[\s"\\]', text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_command(*parts: object) -> bytes:
    if not parts:
        raise ValueError("empty AGI command")
    words = [str(parts[0])] + [quote_arg(p) for p in parts[1:]]
    return (" ".join(words) + "\n").encode("utf-8")
