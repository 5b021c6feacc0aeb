"""A request's query string, read parameter by parameter: anything wrong is a 400 naming the parameter.

Unknown parameters are refused too (a misspelt filter would otherwise be silently ignored and the
answer would look right); an empty value counts as absent, as a browser form sends it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, tzinfo

from aiohttp import web

from store.clock import iso

# Long enough for any name, number or code the filters take; longer input is a mistake or a probe.
MAX_TEXT = 64
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def bad_request(message: str, parameter: str | None = None) -> web.HTTPBadRequest:
    body = {"error": f"{parameter}: {message}" if parameter else message}
    if parameter:
        body["parameter"] = parameter
    return web.HTTPBadRequest(text=json.dumps(body), content_type="application/json")


def not_found(what: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": f"{what} not found"}), content_type="application/json")


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 date or date-time; without an offset it is read in `zone`. Raises ValueError."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None


class Query:
    def __init__(self, request: web.Request, known: Collection[str], repeatable: Collection[str] = ()) -> None:
        self._query = request.query
        for name in sorted(set(self._query.keys())):
            if name not in known:
                raise bad_request(f"unknown parameter; this route takes {', '.join(sorted(known))}", name)
            if name not in repeatable and len(self._query.getall(name)) > 1:
                raise bad_request("given more than once", name)

    def text(self, name: str, max_length: int = MAX_TEXT) -> str | None:
        value = self._query.get(name, "")
        if len(value) > max_length:
            raise bad_request(f"at most {max_length} characters", name)
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise bad_request("control characters are not allowed", name)
        return value or None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.optional_integer(name, low, high)
        return default if value is None else value

    def optional_integer(self, name: str, low: int, high: int) -> int | None:
        text = self.text(name)
        if text is None:
            return None
        if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
            raise bad_request(f"must be a whole number from {low} to {high}, got {text!r}", name)
        return int(text)

    def boolean(self, name: str) -> bool | None:
        text = self.text(name)
        if text is None:
            return None
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise bad_request(f"must be true or false, got {text!r}", name)

    def one_of(self, name: str, allowed: Collection[str]) -> str | None:
        text = self.text(name)
        if text is not None and text not in allowed:
            raise bad_request(f"must be one of {', '.join(allowed)}, got {text!r}", name)
        return text

    def many_of(self, name: str, allowed: Collection[str]) -> tuple[str, ...]:
        """Repeated (`x=a&x=b`) or comma-separated (`x=a,b`) values, each one of `allowed`."""
        values: list[str] = []
        for raw in self._query.getall(name, []):
            values += [v.strip() for v in raw.split(",") if v.strip()]
        for value in values:
            if value not in allowed:
                raise bad_request(f"must be among {', '.join(allowed)}, got {value[:MAX_TEXT]!r}", name)
        return tuple(dict.fromkeys(values))

    def instant(self, name: str, zone: tzinfo) -> datetime | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return parse_instant(text, zone)
        except ValueError:
            raise bad_request(f"not a date or time: use ISO 8601 such as 2026-01-31 or 2026-01-31T08:00:00-05:00, "
                              f"got {text!r}", name) from None

    def period(self, zone: tzinfo) -> tuple[str | None, str | None]:
        """`from` (inclusive) and `to` (exclusive) as the store's ISO UTC text."""
        start, end = self.instant("from", zone), self.instant("to", zone)
        if start is not None and end is not None and end <= start:
            raise bad_request("must be after from", "to")
        return (iso(start) if start else None), (iso(end) if end else None)
