"""The Dispatcher: a task of `permanence serve` that moves each message through its protocol.

Every look reads the messages that are due (new ones, and those whose step's deadline has passed)
from the store; for each, one write job decides the next step — the running step's outcome, whom
the next reaches, its deadline, its code or link — and only then does the channel send. Nothing is
kept in memory between looks: a restart finds the same steps and deadlines in the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import sqlite_utils

from store import Store, clients
from store import dispatch as moves
from store.clock import iso
from store.contacts import Contact
from store.dispatch import Attempt
from store.messages import Message
from store.oncall_schedules import DEFAULT as DEFAULT_SCHEDULE
from store.protocols import ON_CALL

from . import directory, texts
from .kannel import SmsError
from .mail import MailError

log = logging.getLogger(__name__)
OPEN = ("pending", "dispatching")


class PhoneError(RuntimeError):
    """The call could not be placed."""


class PhoneUnanswered(PhoneError):
    """Nobody answered: no answer, busy, unreachable."""


class SmsSender(Protocol):
    async def send(self, to: str, text: str, attempt_id: int | None = None) -> str:
        """Send; the attempt's id goes with the SMS so its delivery reports name it."""
        ...


class EmailSender(Protocol):
    async def send(self, to: str, subject: str, body: str) -> str: ...


class PhoneCaller(Protocol):
    async def call(self, attempt: Attempt, text: str, language: str, client_name: str = "") -> str:
        """Place the call that reads `text`; returns once answered (the confirmation comes through the
        dispatch FastAGI route), PhoneUnanswered if nobody answered, PhoneError if it could not be placed."""
        ...


@dataclass
class Channels:
    sms: SmsSender | None = None
    email: EmailSender | None = None
    phone: PhoneCaller | None = None
    # Where recipients reach the web app: the email's confirmation link starts with it.
    public_url: str = "http://127.0.0.1:8080"

    def enabled(self, channel: str) -> bool:
        return getattr(self, channel, None) is not None

    async def close(self) -> None:
        """Close what keeps connections open (the SMS gateway's HTTP session)."""
        for channel in (self.sms, self.email, self.phone):
            close = getattr(channel, "close", None)
            if close is not None:
                await close()


@dataclass(frozen=True)
class Plan:
    """What a move decided: an attempt to send (with its contact and token), or the alert."""

    message: Message
    client_name: str
    attempt: Attempt | None = None
    contact: Contact | None = None
    token: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dispatcher:
    store: Store
    channels: Channels
    clock: Callable[[], datetime] = _utc_now
    poll_interval: float = 1.0
    # Called with the open alerts (store.dispatch.alerts) whenever they may have changed.
    on_alerts: Callable[[list[dict]], Awaitable[None] | None] | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # Sends in flight: a slow SMTP server or a ringing phone must not hold up the other messages.
    _sending: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    def wake(self) -> None:
        """Look now (a new message, a confirmation, an acknowledged alert)."""
        self._wake.set()

    async def run(self) -> None:
        try:
            await self._loop()
        finally:
            for send in list(self._sending):
                send.cancel()
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _loop(self) -> None:
        await self.publish_alerts()
        while True:
            try:
                await self.tick()
            except Exception:  # a fault of one look must not stop the dispatch
                log.exception("dispatch: a look at the due messages failed")
            self._wake.clear()
            timeout = await self._sleep()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    async def _sleep(self) -> float:
        """Until the next deadline, at most poll_interval."""
        nearest = await self.store.read(moves.next_deadline)
        if nearest is None:
            return self.poll_interval
        left = (datetime.fromisoformat(nearest.replace("Z", "+00:00")) - self.clock()).total_seconds()
        return min(max(left, 0.01), self.poll_interval)

    async def tick(self) -> int:
        """One look: move every due message; returns how many moved."""
        now = self.clock()
        due = await self.store.read(lambda db: moves.due(db, iso(now)))
        plans = []
        for message in due:
            plan = await self.store.write(lambda db, m=message: self._plan(db, m, now))
            if plan is not None:
                plans.append(plan)
        for plan in plans:
            if plan.attempt is not None:
                # The message waits at its step with its deadline meanwhile: no later look takes it again.
                send = asyncio.create_task(self._guarded(plan), name=f"dispatch-send-{plan.attempt.id}")
                self._sending.add(send)
                send.add_done_callback(self._sending.discard)
        if any(p.attempt is None for p in plans) or self._wake.is_set():
            await self.publish_alerts()
        return len(plans)

    async def publish_alerts(self) -> None:
        if self.on_alerts is None:
            return
        result = self.on_alerts(await self.store.read(moves.alerts))
        if result is not None:
            await result

    def _plan(self, db: sqlite_utils.Database, seen: Message, at: datetime) -> Plan | None:
        """On the writer: close the running step, find the next one that can start, and start it."""
        now = iso(at)
        m = moves.current(db, seen.id)
        if m is None or m.status not in OPEN or (m.status, m.step) != (seen.status, seen.step) \
                or (m.deadline or "") > now:
            return None  # moved meanwhile (confirmed, or by another look)
        client = clients.get_client(db, m.client_code)
        name = client.name if client else m.client_code
        moves.end_step(db, m, now)
        for i in range(0 if m.step is None else m.step + 1, len(m.steps)):
            spec = m.steps[i]
            if spec.channel == "alert":
                break
            if not self.channels.enabled(spec.channel):
                moves.skip_step(db, m, i, now, f"no {spec.channel} gateway configured")
                continue
            contact = directory.recipient(db, m.client_code, spec.to, at, spec.schedule)
            if contact is None:
                why = (("nobody is on call" if spec.schedule == DEFAULT_SCHEDULE else
                        f"nobody is on call in schedule {spec.schedule}") if spec.to == ON_CALL
                       else f"no contact {spec.to}")
                moves.skip_step(db, m, i, now, why)
                continue
            address, why = directory.address(spec.channel, contact)
            if address is None:
                moves.skip_step(db, m, i, now, why, contact_id=contact.id)
                continue
            token = secrets.token_urlsafe(24) if spec.channel == "email" else None
            attempt = moves.begin_step(db, m, i, now, recipient=address, contact_id=contact.id,
                                       token_hash=token_hash(token) if token else None)
            return Plan(m, name, attempt, contact, token)
        moves.alert(db, m, len(m.steps) - 1, now)
        log.warning("dispatch: message %d of client %s reached nobody; the dispatcher is alerted", m.id, m.client_code)
        return Plan(m, name)

    async def _guarded(self, plan: Plan) -> None:
        try:
            await self._send(plan)
        except Exception:  # the attempt stays 'sending'; its deadline still moves the message on
            log.exception("dispatch: sending attempt %s failed unexpectedly", plan.attempt)

    async def _send(self, plan: Plan) -> None:
        attempt, message, contact = plan.attempt, plan.message, plan.contact
        assert attempt is not None and contact is not None
        language = contact.language
        try:
            if attempt.channel == "sms":
                assert self.channels.sms is not None and attempt.code is not None
                detail = await self.channels.sms.send(
                    attempt.recipient or "", texts.sms(language, plan.client_name, message.text, attempt.code),
                    attempt_id=attempt.id)
            elif attempt.channel == "email":
                assert self.channels.email is not None and plan.token is not None
                link = f"{self.channels.public_url.rstrip('/')}/api/messages/confirm/{plan.token}"
                subject, body = texts.email(language, plan.client_name, message.id, message.created_at,
                                            message.text, link)
                detail = await self.channels.email.send(attempt.recipient or "", subject, body)
            else:
                assert self.channels.phone is not None
                detail = await self.channels.phone.call(attempt, message.text, language, plan.client_name)
        except (SmsError, MailError, PhoneError) as exc:
            why = str(exc)
            result = "no_answer" if isinstance(exc, PhoneUnanswered) else "failed"
            log.warning("dispatch: message %d, step %d (%s to %s) %s: %s", message.id, attempt.step,
                        attempt.channel, attempt.recipient, result, why)
            await self.store.write(lambda db: moves.attempt_failed(db, attempt, iso(self.clock()), why, result))
            self.wake()
            return
        await self.store.write(lambda db: moves.attempt_sent(db, attempt, detail))
