"""The dispatch on real parts: a Kannel (bearerbox, smsbox, fakesmsc) for the session, a local SMTP server
(aiosmtpd), the web app on a real port (Kannel's sms-service calls it) and the Dispatcher over a real
store file. Deadlines are seconds."""

from __future__ import annotations

import asyncio
import email
import email.policy
import inspect
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from ami.live import LiveState
from dispatch.kannel import SmsGateway
from dispatch.mail import Mailer, MailSettings
from dispatch.scheduler import Channels, Dispatcher
from store import Store, clients, contacts, dispatch, messages, oncall, protocols, sms_delivery, users
from store.messages import Message
from tests.support import free_port
from web import hash_password, make_app
from web.messages import MessagingSettings

from .kannel import Kannel

MOBILE = "+15145550123"  # Marie, on call, receives SMS
BACKUP_EMAIL = "backup@example.org"
PASSWORDS = {"root": "root-secret-3", "alice": "alice-secret-1", "bob": "bob-secret-2"}


class Inbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@dataclass
class Smtp:
    host: str
    port: int
    inbox: Inbox


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Smtp("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()


@dataclass(frozen=True)
class KannelSession:
    kannel: Kannel
    web_port: int


@pytest.fixture(scope="session")
def kannel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelSession]:
    """One Kannel for the session; each test's web app listens on the port its sms-service calls."""
    web_port = free_port()
    gateway = Kannel(tmp_path_factory.mktemp("kannel"), f"http://127.0.0.1:{web_port}/api/sms/inbound")
    try:
        gateway.start()
        yield KannelSession(gateway, web_port)
    finally:
        gateway.stop()


@dataclass
class World:
    store: Store
    dispatcher: Dispatcher
    kannel: Kannel
    smtp: Smtp
    base: str
    marie: int
    backup: int
    alerts: list[list[dict]] = field(default_factory=list)
    sms_before: int = 0  # the SMS of the session's earlier tests

    def __post_init__(self) -> None:
        self.sms_before = len(self.kannel.sent())

    async def take(self, client: str = "1000", text: str = "M. Tremblay: fuite d'eau au 12 rue Principale",
                   **kw) -> Message:
        message = await self.store.write(lambda db: messages.create_message(db, client, "root", text=text, **kw))
        self.dispatcher.wake()
        return message

    async def message(self, message_id: int, reports: bool = False) -> tuple[Message, list[messages.HistoryEntry]]:
        """The message and its history; without the SMS delivery reports unless asked for (Kannel sends
        them for every SMS at its own pace: test_sms_delivery.py asserts on them)."""
        def read(db):
            return (dispatch.current(db, message_id), messages.history(db, message_id))
        message, history = await self.store.read(read)
        return message, [e for e in history if reports or e.result not in sms_delivery.RESULTS]

    def sms_to(self, number: str) -> list[str]:
        return [s.text for s in self.kannel.sent()[self.sms_before:] if s.to == number]

    async def until(self, check, timeout: float, what: str):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")

    async def results(self, message_id: int) -> list[tuple[str, str]]:
        return [(e.channel, e.result) for e in (await self.message(message_id))[1]]


def seed(db, steps: list[dict]) -> tuple[int, int]:
    """Clients 1000 and 2000, their users, client 1000's directory (Marie on call for good, Paul the
    backup by email) and its protocol, where "backup" stands for Paul's contact id."""
    clients.add_client(db, "1000", "Plomberie Demo")
    clients.add_client(db, "2000", "Other Co", language="en")
    for login, role, code in (("root", "admin", None), ("alice", "client", "1000"), ("bob", "client", "2000")):
        users.add_user(db, login, hash_password(PASSWORDS[login], log2_n=10), role, code)
    marie = contacts.add_contact(db, "1000", "Marie Gagnon", mobile=MOBILE, sms=True, email="marie@example.org",
                                 language="fr")
    backup = contacts.add_contact(db, "1000", "Paul Backup", email=BACKUP_EMAIL, language="en")
    oncall.set_rotation(db, "1000", "weekly", "08:00", "2020-01-06", [marie.id])
    protocols.set_protocol(db, "1000", [{**s, "to": backup.id} if s.get("to") == "backup" else s for s in steps])
    return marie.id, backup.id


STEPS = [{"channel": "sms", "to": "on_call", "wait_s": 3}, {"channel": "email", "to": "backup", "wait_s": 3}]


@pytest.fixture
def steps() -> list[dict]:
    """The protocol of client 1000: SMS to the on-call contact, then email to the backup, 3 s each (a
    test gives its own with @pytest.mark.parametrize("steps", …))."""
    return STEPS


@pytest.fixture
async def world(tmp_path: Path, kannel: KannelSession, smtp: Smtp, steps: list[dict]) -> AsyncIterator[World]:
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    marie, backup = await store.write(lambda db: seed(db, steps))
    base = f"http://127.0.0.1:{kannel.web_port}"
    sms = SmsGateway(kannel.kannel.settings)
    channels = Channels(sms=sms, email=Mailer(MailSettings(smtp.host, smtp.port, "dispatch@permanence.test",
                                                           security="none", timeout=5)), public_url=base)
    alerts: list[list[dict]] = []
    live = LiveState()  # the live view the supervisors' wallboard follows (GET /api/live)

    def publish(open_alerts: list[dict]) -> None:
        alerts.append(open_alerts)
        live.set_alerts(open_alerts)

    dispatcher = Dispatcher(store, channels, clock=lambda: datetime.now(UTC), poll_interval=0.2, on_alerts=publish)
    app = make_app(store, tmp_path / "recordings", live=live,
                   messaging=MessagingSettings(kannel.kannel.settings.inbound_token, "CA", dispatcher.wake))
    runner = web.AppRunner(app, shutdown_timeout=1)  # an open live stream would hold cleanup up to a heartbeat
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", kannel.web_port).start()
    task = asyncio.create_task(dispatcher.run())
    try:
        yield World(store, dispatcher, kannel.kannel, smtp, base, marie, backup, alerts)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await channels.close()
        await runner.cleanup()
        store.close()

