"""The caller's number (ANI) as the dnis route sees it: withheld, a number, or something else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from store import NumberError, to_e164

WITHHELD = frozenset({"", "unknown", "anonymous", "restricted", "private", "withheld", "unavailable"})
# agi_callingpres: Asterisk's presentation (callerid.h). Its restriction bits (mask 0x60) are 0x00 allowed,
# 0x20 restricted, 0x40 unavailable (e.g. 67 = 0x43, "number not available"), 0x60 reserved: all but
# allowed mean there is no number to show.
RESTRICTION = 0x60


@dataclass(frozen=True)
class CallerId:
    number: str | None  # E.164, or None
    name: str | None
    anonymous: bool


def caller_id(headers: Mapping[str, str], default_region: str) -> CallerId:
    raw = headers.get("agi_callerid", "").strip()
    name = headers.get("agi_calleridname", "").strip()
    try:
        presentation = int(headers.get("agi_callingpres", "0"))
    except ValueError:
        presentation = 0
    if raw.lower() in WITHHELD or presentation & RESTRICTION:
        return CallerId(None, None, True)
    try:
        number = to_e164(raw, default_region)
    except NumberError:
        number = None
    if name.lower() in WITHHELD or name == raw:
        name = ""
    return CallerId(number, name or None, False)
