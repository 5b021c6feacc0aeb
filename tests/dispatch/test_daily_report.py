"""The daily report on real parts: a real store file, the real SMTP client and a local SMTP server
(aiosmtpd), the task's clock set by the test. Each report must reach the server at the client's local
time — not a minute before — with exactly the messages since the previous one: around midnight, across
the DST changes of America/Montreal and Europe/Paris, across a restart and after a missed run."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from dispatch.mail import Mailer, MailSettings
from dispatch.reports import DailyReports
from store import Scope, Store, clients, contacts, messages
from store import reports as marks
from store.clock import iso
from tests.support import free_port

from .conftest import Inbox, Smtp

MONTREAL, PARIS = ZoneInfo("America/Montreal"), ZoneInfo("Europe/Paris")
MINUTE = timedelta(minutes=1)


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    """The store file, the clock and the task; restart() is a new process on the same file."""

    path: Path
    smtp: Smtp
    clock: Clock
    store: Store | None = None
    reports: DailyReports | None = None

    def start(self) -> None:
        self.store = Store(self.path)
        self.store.open()
        mailer = Mailer(MailSettings(self.smtp.host, self.smtp.port, "reports@permanence.test", security="none",
                                     timeout=5))
        self.reports = DailyReports(self.store, mailer, clock=self.clock, poll_interval=0.05)

    def stop(self) -> None:
        assert self.store is not None
        self.store.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    async def at(self, moment: datetime) -> list[marks.DailyReport]:
        """Set the clock and look once."""
        assert self.reports is not None
        self.clock.now = moment
        return await self.reports.tick()

    async def take(self, client: str, moment: datetime, text: str, **fields: str) -> int:
        self.clock.now = moment
        assert self.store is not None
        message = await self.store.write(lambda db: messages.create_message(
            db, client, "agent101", text=text, fields=fields or None, at=iso(moment)))
        return message.id

    async def settings(self, client: str, at: str, moment: datetime, roles=("manager",), emails=()) -> None:
        self.clock.now = moment
        assert self.store is not None
        await self.store.write(lambda db: marks.set_settings(db, client, at, roles, emails, now=iso(moment)))


@pytest.fixture
async def desk(tmp_path: Path, smtp: Smtp) -> AsyncIterator[Desk]:
    desk = Desk(tmp_path / "s.sqlite3", smtp, Clock(local(MONTREAL, 2026, 1, 10, 12, 0)))
    desk.start()

    def seed(db) -> None:
        clients.add_client(db, "1000", "Plomberie Demo", timezone="America/Montreal")
        clients.add_client(db, "2000", "Serrurerie Paris", timezone="Europe/Paris")
        contacts.add_contact(db, "1000", "Marie Gagnon", role="Manager", email="marie@example.org")
        contacts.add_contact(db, "1000", "Luc Tech", role="tech", email="luc@example.org")
        contacts.add_contact(db, "2000", "Anne Durand", role="manager", email="anne@example.fr")

    assert desk.store is not None
    await desk.store.write(seed)
    try:
        yield desk
    finally:
        desk.stop()


def attachment(mail) -> list[dict]:
    [part] = list(mail.iter_attachments())
    assert part.get_content_type() == "text/csv" and part.get_filename().endswith(".csv")
    return list(csv.DictReader(io.StringIO(part.get_content())))


async def received(smtp: Smtp, count: int) -> list:
    for _ in range(100):
        if len(smtp.inbox.messages) >= count:
            break
        await asyncio.sleep(0.02)
    assert len(smtp.inbox.messages) == count, [m["Subject"] for m in smtp.inbox.messages]
    return smtp.inbox.messages


async def test_around_midnight_each_message_is_in_one_report_across_a_restart(desk: Desk, smtp: Smtp) -> None:
    await desk.take("1000", local(MONTREAL, 2026, 1, 10, 9, 0), "taken before the report was set up: in none")
    await desk.settings("1000", "00:00", local(MONTREAL, 2026, 1, 10, 12, 0), emails=["boss@example.org"])
    late = await desk.take("1000", local(MONTREAL, 2026, 1, 10, 23, 59), "Fuite d'eau", city="Laval",
                           nature="urgence", language="fr")
    await desk.take("2000", local(MONTREAL, 2026, 1, 10, 23, 59, 30), "another client's message")
    assert await desk.at(local(MONTREAL, 2026, 1, 10, 23, 59, 59)) == []  # a second early: nothing
    assert smtp.inbox.messages == []
    [report] = await desk.at(local(MONTREAL, 2026, 1, 11, 0, 0))
    assert (report.due_at, report.messages) == ("2026-01-11T05:00:00.000Z", 1)
    [mail] = await received(smtp, 1)
    assert mail["To"] == "marie@example.org, boss@example.org"  # the role in any case, then the address
    assert mail["Subject"] == "Rapport quotidien — Plomberie Demo — 2026-01-11"
    [row] = attachment(mail)
    assert (int(row["id"]), row["created_at"], row["text"]) == (late, "2026-01-10T23:59:00-05:00", "Fuite d'eau")
    assert (row["fields.city"], row["fields.nature"], row["fields.language"]) == ("Laval", "urgence", "fr")

    early = await desk.take("1000", local(MONTREAL, 2026, 1, 11, 0, 1), "Porte bloquée", city="Montréal")
    assert await desk.at(local(MONTREAL, 2026, 1, 11, 0, 2)) == []
    desk.restart()  # a new process on the same file: the marks are in the store
    assert await desk.at(local(MONTREAL, 2026, 1, 11, 23, 59)) == []
    [report] = await desk.at(local(MONTREAL, 2026, 1, 12, 0, 0, 30))
    assert report.since_due_at == "2026-01-11T05:00:00.000Z"
    [_, mail] = await received(smtp, 2)
    assert [(int(r["id"]), r["created_at"], r["fields.city"]) for r in attachment(mail)] == [
        (early, "2026-01-11T00:01:00-05:00", "Montréal")]
    assert await desk.at(local(MONTREAL, 2026, 1, 12, 0, 5)) == []  # once
    assert len(smtp.inbox.messages) == 2


async def test_a_missed_run_is_made_once_late_with_every_message_since(desk: Desk, smtp: Smtp) -> None:
    await desk.settings("1000", "08:00", local(MONTREAL, 2026, 1, 10, 12, 0))
    ids = [await desk.take("1000", local(MONTREAL, 2026, 1, day, 10, 0), f"message of the {day}th")
           for day in (10, 11, 12, 13)]
    desk.restart()  # down from the 10th to the 14th at 09:30: the runs of the 11th to the 14th were missed
    [report] = await desk.at(local(MONTREAL, 2026, 1, 14, 9, 30))
    assert report.due_at == iso(local(MONTREAL, 2026, 1, 14, 8, 0)) and report.messages == 4
    [mail] = await received(smtp, 1)
    assert [int(r["id"]) for r in attachment(mail)] == ids
    assert await desk.at(local(MONTREAL, 2026, 1, 14, 9, 31)) == []
    assert await desk.at(local(MONTREAL, 2026, 1, 15, 7, 59)) == []
    [nothing_new] = await desk.at(local(MONTREAL, 2026, 1, 15, 8, 0))  # a report is made, even empty
    assert nothing_new.messages == 0
    [_, empty] = await received(smtp, 2)
    assert attachment(empty) == [] and "0 message(s)" in empty.get_body().get_content()


DST = [
    # (zone, client, at, before, due (UTC), a later instant that must not run it again, the next run (UTC))
    pytest.param(MONTREAL, "1000", "02:30", local(MONTREAL, 2026, 3, 8, 1, 59),
                 datetime(2026, 3, 8, 7, 0, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
                 datetime(2026, 3, 9, 6, 30, tzinfo=UTC), id="montreal-spring-gap: 02:30 runs at 03:00 EDT"),
    pytest.param(MONTREAL, "1000", "01:30", local(MONTREAL, 2026, 11, 1, 1, 29),
                 datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
                 datetime(2026, 11, 2, 6, 30, tzinfo=UTC), id="montreal-fall-repeat: 01:30 EDT, not 01:30 EST"),
    pytest.param(PARIS, "2000", "02:15", local(PARIS, 2026, 3, 29, 1, 59),
                 datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 15, tzinfo=UTC),
                 datetime(2026, 3, 30, 0, 15, tzinfo=UTC), id="paris-spring-gap: 02:15 runs at 03:00 CEST"),
    pytest.param(PARIS, "2000", "02:15", local(PARIS, 2026, 10, 25, 2, 0),
                 datetime(2026, 10, 25, 0, 15, tzinfo=UTC), datetime(2026, 10, 25, 1, 15, tzinfo=UTC),
                 datetime(2026, 10, 26, 1, 15, tzinfo=UTC), id="paris-fall-repeat: 02:15 CEST, not 02:15 CET"),
]


@pytest.mark.parametrize(("zone", "client", "at", "before", "due", "again", "following"), DST)
async def test_across_a_dst_change_the_report_runs_once_at_the_documented_minute(
        desk: Desk, smtp: Smtp, zone, client, at, before, due, again, following) -> None:
    await desk.settings(client, at, before.replace(hour=0))
    first = await desk.take(client, before, "just before the change")
    assert await desk.at(due - MINUTE) == []  # a minute early: nothing
    [report] = await desk.at(due)
    assert report.due_at == iso(due)
    [mail] = await received(smtp, 1)
    assert [int(r["id"]) for r in attachment(mail)] == [first]
    second = await desk.take(client, due + MINUTE, "just after the change")
    desk.restart()
    assert await desk.at(again) == []  # the repeated hour, or later that day: not again
    assert await desk.at(following - MINUTE) == []
    [report] = await desk.at(following)
    assert report.due_at == iso(following)
    [_, mail] = await received(smtp, 2)
    assert [int(r["id"]) for r in attachment(mail)] == [second]


async def test_the_task_sends_at_the_due_minute_and_a_failed_email_goes_later(desk: Desk, smtp: Smtp) -> None:
    """The loop of `permanence serve` (run), not single looks: it sleeps until the due minute."""
    await desk.settings("1000", "00:00", local(MONTREAL, 2026, 1, 10, 12, 0))
    taken = await desk.take("1000", local(MONTREAL, 2026, 1, 10, 23, 59), "Fuite")
    assert desk.reports is not None
    task = asyncio.create_task(desk.reports.run())
    try:
        await asyncio.sleep(0.3)
        assert smtp.inbox.messages == []
        desk.clock.now = local(MONTREAL, 2026, 1, 11, 0, 0)
        [mail] = await received(smtp, 1)
        assert [int(r["id"]) for r in attachment(mail)] == [taken]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    # The SMTP server refuses: the report is kept, pending, and goes at the next look that can send it.
    assert desk.store is not None and desk.reports is not None
    good = desk.reports.mailer
    desk.reports.mailer = Mailer(MailSettings("127.0.0.1", 9, "reports@permanence.test", security="none", timeout=2))
    [report] = await desk.at(local(MONTREAL, 2026, 1, 12, 0, 0))
    stored = await desk.store.read(lambda db: marks.get_report(db, Scope.everything(), report.id))
    assert stored is not None and (stored.status, stored.attempts) == ("pending", 1) and "SMTP" in stored.detail
    assert await desk.at(local(MONTREAL, 2026, 1, 12, 0, 0, 59)) == []  # the first retry waits a minute
    assert await desk.at(local(MONTREAL, 2026, 1, 12, 0, 1)) == []  # tried again, refused again
    assert await desk.at(local(MONTREAL, 2026, 1, 12, 0, 2, 59)) == []  # then two minutes
    stored = await desk.store.read(lambda db: marks.get_report(db, Scope.everything(), report.id))
    assert stored is not None and (stored.status, stored.attempts) == ("pending", 2)
    desk.reports.mailer = good
    assert await desk.at(local(MONTREAL, 2026, 1, 12, 0, 3)) == []
    [_, mail] = await received(smtp, 2)
    assert [int(r["id"]) for r in attachment(mail)] == []  # the report of the 12th: nothing since
    stored = await desk.store.read(lambda db: marks.get_report(db, Scope.everything(), report.id))
    assert stored is not None and stored.status == "sent" and stored.attempts == 3


class SlowInbox(Inbox):
    """Keeps the email, then waits before its 250 reply: the sender is still waiting when the test stops it."""

    async def handle_DATA(self, server, session, envelope) -> str:
        await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.5)
        return "250 OK"


async def test_stopping_the_task_mid_send_records_the_email_and_never_sends_it_again(desk: Desk) -> None:
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        assert desk.reports is not None and desk.store is not None
        desk.reports.mailer = Mailer(MailSettings("127.0.0.1", controller.port, "reports@permanence.test",
                                                  security="none", timeout=5))
        await desk.settings("1000", "00:00", local(MONTREAL, 2026, 1, 10, 12, 0))
        await desk.take("1000", local(MONTREAL, 2026, 1, 10, 23, 59), "Fuite")
        desk.clock.now = local(MONTREAL, 2026, 1, 11, 0, 0)
        task = asyncio.create_task(desk.reports.run())
        for _ in range(200):
            if inbox.messages:
                break
            await asyncio.sleep(0.01)
        assert len(inbox.messages) == 1  # the server has it; its reply is half a second away
        task.cancel()  # as permanence serve does when it stops
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()
        [report] = await desk.store.read(lambda db: marks.list_reports(db, Scope.everything()))
        assert (report.status, report.attempts) == ("sent", 1)
        desk.restart()
        desk.reports.mailer = Mailer(MailSettings("127.0.0.1", controller.port, "reports@permanence.test",
                                                  security="none", timeout=5))
        assert await desk.at(local(MONTREAL, 2026, 1, 11, 0, 1)) == []
        await asyncio.sleep(0.6)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
