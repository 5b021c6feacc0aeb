"""A gateway that does not answer is a failed attempt, and the next step starts at once: Kannel's sendsms
port closed, then the SMTP server refusing connections."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from dispatch.kannel import SmsGateway
from dispatch.mail import Mailer, MailSettings
from dispatch.scheduler import Channels, Dispatcher
from store import Store, dispatch, messages
from tests.support import free_port

from .conftest import BACKUP_EMAIL, KannelSession, Smtp, seed

STEPS = [{"channel": "sms", "to": "on_call", "wait_s": 60}, {"channel": "email", "to": "backup", "wait_s": 60},
         {"channel": "email", "to": "on_call", "wait_s": 60}]


async def _history(store: Store, message_id: int, count: int) -> list[messages.HistoryEntry]:
    for _ in range(100):
        entries = await store.read(lambda db: messages.history(db, message_id))
        if len(entries) >= count and entries[-1].result != "sending":
            return entries
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {count} history entries: {entries}")


async def test_a_gateway_that_does_not_answer_fails_its_step_and_the_next_starts(
        tmp_path: Path, kannel: KannelSession, smtp: Smtp) -> None:
    store = Store(tmp_path / "s.sqlite3")
    store.open()
    await store.write(lambda db: seed(db, STEPS))
    closed = dataclasses.replace(kannel.kannel.settings, sendsms_port=free_port())  # nothing listens there
    refusing = MailSettings("127.0.0.1", free_port(), "dispatch@permanence.test", security="none", timeout=5)
    working = Mailer(MailSettings(smtp.host, smtp.port, "dispatch@permanence.test", security="none", timeout=5))

    class ByRecipient:
        """The backup's mail server is down, Marie's is up."""

        async def send(self, to: str, subject: str, body: str) -> str:
            return await (Mailer(refusing) if to == BACKUP_EMAIL else working).send(to, subject, body)

    sms = SmsGateway(closed)
    dispatcher = Dispatcher(store, Channels(sms=sms, email=ByRecipient()), poll_interval=0.1)
    task = asyncio.create_task(dispatcher.run())
    try:
        message = await store.write(lambda db: messages.create_message(db, "1000", "root", text="Fuite d'eau"))
        dispatcher.wake()
        history = await _history(store, message.id, 3)
        assert [(e.step, e.channel, e.result) for e in history] == [
            (0, "sms", "failed"), (1, "email", "failed"), (2, "email", "sent")]
        assert "unreachable" in history[0].detail and "SMTP 127.0.0.1" in history[1].detail
        assert [m["To"] for m in smtp.inbox.messages] == ["marie@example.org"]
        current = await store.read(lambda db: dispatch.current(db, message.id))
        assert (current.status, current.step) == ("dispatching", 2)  # waiting for Marie's confirmation
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sms.close()
        store.close()
