"""The filters of the call history, as SQL conditions over `calls` with parameters only.

Every value travels as a parameter; the SQL text is made of fixed fragments, so nothing a caller
types can change the query. The caller filter is a substring match with LIKE's own metacharacters
(% and _) escaped, so they match themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

LIKE_ESCAPE = "\\"


def like_literal(text: str) -> str:
    """`text` as a LIKE pattern that matches it literally anywhere (ESCAPE '\\')."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class CallFilter:
    """What the history is narrowed to; None (or empty) means no condition on that field."""

    started_from: str | None = None  # ISO UTC, inclusive
    started_to: str | None = None  # ISO UTC, exclusive
    client_code: str | None = None
    did: str | None = None  # E.164, exact
    caller: str | None = None  # part of the caller's number
    dispositions: tuple[str, ...] = ()
    queue: str | None = None
    agent: str | None = None
    has_recording: bool | None = None  # a recording whose file is still kept (not purged)

    def where(self) -> tuple[str, list]:
        """SQL condition on table `calls` (always valid, '1 = 1' when empty) and its parameters."""
        parts: list[str] = []
        args: list = []
        exact = (("started_at >= ?", self.started_from), ("started_at < ?", self.started_to),
                 ("client_code = ?", self.client_code), ("did = ?", self.did),
                 ("queue = ?", self.queue), ("agent = ?", self.agent))
        for condition, value in exact:
            if value is not None:
                parts.append(f"calls.{condition}")
                args.append(value)
        if self.caller is not None:
            parts.append(f"calls.caller_number LIKE ? ESCAPE '{LIKE_ESCAPE}'")
            args.append(like_literal(self.caller))
        if self.dispositions:
            parts.append(f"calls.disposition IN ({', '.join('?' for _ in self.dispositions)})")
            args.extend(self.dispositions)
        if self.has_recording is not None:
            exists = "EXISTS (SELECT 1 FROM recordings r WHERE r.linkedid = calls.linkedid AND r.purged_at IS NULL)"
            parts.append(exists if self.has_recording else f"NOT {exists}")
        return (" AND ".join(parts) or "1 = 1"), args
