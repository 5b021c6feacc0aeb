"""Login rate limiting: failed attempts in a sliding window, per account and per address.

Pure bookkeeping in memory, owned by the application (web.keys.LIMITER): one process serves the
web app, and a restart forgetting the counts costs an attacker nothing he could not wait out.
An attempt counts as a failure from the moment it starts, so that a burst of concurrent guesses
cannot all pass the check while the slow password verification is under way; a success takes it
back and clears the account's count.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta


class Limited(Exception):
    """Too many failures: retry after `retry_after` seconds. `what` says which limit: account or address."""

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(f"too many failed logins for this {what}")
        self.what, self.retry_after = what, retry_after


class SlidingWindow:
    """At most `limit` events per key within `window` seconds. Keys are bounded in number: beyond
    `max_keys`, the key whose last event is the oldest is forgotten first."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a sliding window needs a limit of 1 or more and a positive length")
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def _live(self, key: str, now: float) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def retry_after(self, key: str, now: float) -> float:
        """0 if one more event is allowed now, else the seconds until it is."""
        events = self._live(key, now)
        if events is None or len(events) < self.limit:
            return 0.0
        return events[len(events) - self.limit] + self.window - now

    def add(self, key: str, now: float) -> None:
        events = self._live(key, now)
        if events is None:
            events = self._events[key] = deque()
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        events.append(now)

    def take_back(self, key: str, at: float) -> None:
        """Remove one event recorded at `at` (an attempt that turned out not to be a failure)."""
        events = self._events.get(key)
        if events is not None and at in events:
            events.remove(at)

    def clear(self, key: str) -> None:
        self._events.pop(key, None)

    def __len__(self) -> int:
        return len(self._events)


@dataclass(frozen=True)
class Attempt:
    account: str
    address: str
    at: float


class LoginLimiter:
    def __init__(self, per_account: int, per_address: int, window: timedelta,
                 clock: Callable[[], float] = time.monotonic) -> None:
        seconds = window.total_seconds()
        self.accounts = SlidingWindow(per_account, seconds)
        self.addresses = SlidingWindow(per_address, seconds)
        self.clock = clock

    @staticmethod
    def _account(login: str) -> str:
        return login.casefold()  # "Alice" and "alice" share one count: case games buy no extra guesses

    def begin(self, login: str, address: str) -> Attempt:
        """Record an attempt as a failure, or raise Limited if one limit is reached (nothing recorded)."""
        now, account = self.clock(), self._account(login)
        for what, window, key in (("account", self.accounts, account), ("address", self.addresses, address)):
            wait = window.retry_after(key, now)
            if wait > 0:
                raise Limited(what, max(1, math.ceil(wait)))
        self.accounts.add(account, now)
        self.addresses.add(address, now)
        return Attempt(account, address, now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the account starts afresh; the address keeps its earlier failures."""
        self.accounts.clear(attempt.account)
        self.addresses.take_back(attempt.address, attempt.at)
