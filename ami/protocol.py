"""AMI framing: bytes → messages, and actions → bytes.

Messages are split on the blank line in *bytes* and decoded whole, so a UTF-8 character cut across
two TCP reads survives (panoramisk 1.4 decodes each chunk on its own with errors='ignore' and loses
it). Parsing of a complete block reuses panoramisk's Message.
"""

from __future__ import annotations

import itertools
from typing import Any

from panoramisk.message import Message

EOL = b"\r\n"
END = b"\r\n\r\n"


class AMIProtocolError(Exception):
    """The peer does not speak AMI (bad banner, oversized message, …)."""


def parse_banner(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace").strip()
    if not text.startswith("Asterisk Call Manager/"):
        raise AMIProtocolError(f"not an AMI banner: {text[:60]!r}")
    return text.partition("/")[2]


AmiEvent = dict[str, Any]  # field → value; a field sent several times → list of values


def parse_fields(block: bytes) -> AmiEvent | None:
    """One message block (without the final blank line) → its fields; None if neither event nor response.

    A plain dict, not panoramisk's case-insensitive Message: events are the hot path (the bench's
    ami-ingest: building a Message cost ~20 µs an event against ~7 µs for a dict), and Asterisk spells
    each field one way. Action responses are wrapped in a Message by the client.
    """
    fields: AmiEvent = {}
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        key, sep, value = line.partition(": ")
        if not sep:
            if line.endswith(":"):  # "Key:" with an empty value
                key, value = line[:-1], ""
            else:
                continue
        if key in fields:
            old = fields[key]
            fields[key] = [*old, value] if isinstance(old, list) else [old, value]
        else:
            fields[key] = value
    return fields if "Event" in fields or "Response" in fields else None


def as_response(fields: AmiEvent) -> Message:
    return Message(fields)


def format_action(fields: dict[str, object]) -> bytes:
    """An action block; values with line breaks would smuggle extra headers, so they are refused."""
    lines = []
    for key, value in fields.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            text = str(item)
            if "\r" in text or "\n" in text or "\r" in key or "\n" in key:
                raise ValueError(f"AMI action field {key!r} contains a line break")
            lines.append(f"{key}: {text}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class ActionIds:
    """Action ids unique within one client."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self._prefix}-{next(self._counter)}"
