"""The keys a custom report groups by, and the local day and hour of a 15-minute UTC slot.

A key is a call dimension (CALL_KEYS) or a message's field, `fields.<name>` (a script's answer: city,
language, nature of the call…). Field names are data: they are bound as SQL parameters, never written
into SQL (store/custom_reports.py). The formulas are in reports/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

FIELD_PREFIX = "fields."
CALL_KEYS = ("client", "queue", "agent", "disposition", "did", "day", "hour")
TIME_KEYS = ("day", "hour")
MAX_KEYS = 4
MAX_FIELD_NAME = 64  # as store.messages takes them


class GroupKeyError(ValueError):
    """A group key was refused; `key` is the key as given."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class GroupKey:
    name: str  # as given and as the column is named: `queue`, `fields.city`

    @property
    def field(self) -> str | None:
        """The message field's name, for a `fields.` key."""
        return self.name[len(FIELD_PREFIX):] if self.name.startswith(FIELD_PREFIX) else None


def parse_keys(texts: list[str]) -> tuple[GroupKey, ...]:
    """`group` values (each may hold several, comma-separated) as keys, in order, each once."""
    names = [part.strip() for text in texts for part in text.split(",") if part.strip()]
    keys: list[GroupKey] = []
    for name in dict.fromkeys(names):
        if name.startswith(FIELD_PREFIX):
            field = name[len(FIELD_PREFIX):]
            if not field.strip() or len(field) > MAX_FIELD_NAME or any(ord(c) < 32 for c in field):
                raise GroupKeyError(f"a field name is 1-{MAX_FIELD_NAME} characters, got {name!r}", name)
        elif name not in CALL_KEYS:
            raise GroupKeyError(f"unknown group key {name[:80]!r}; use fields.<name> or one of "
                                f"{', '.join(CALL_KEYS)}", name)
        keys.append(GroupKey(name))
    if len(keys) > MAX_KEYS:
        raise GroupKeyError(f"at most {MAX_KEYS} group keys, got {len(keys)}", keys[MAX_KEYS].name)
    return tuple(keys)


def local_slot(slot: str, zone: ZoneInfo) -> datetime:
    """A UTC slot `YYYY-MM-DDTHH:MM` in the client's zone (every zone's offset is a multiple of 15
    minutes, so a slot lies within one local hour)."""
    return datetime.fromisoformat(slot + ":00+00:00").astimezone(zone)
