"""The daily report: a task of `permanence serve` that makes each client's report when it falls due and
emails it with its CSV attached.

Each look, for each client with settings: the last run due at or before now (reports/schedule.py, in the
client's zone) — if it is after the last one made, one write makes the report of every message since the
previous one and moves the marks (store/reports.py). A run missed while the process was down is made
once, late, at the first look after the restart; the runs in between are not made one by one (the one
late report holds all their messages). The email is sent after the write: a report whose email failed,
or was not sent because the process stopped, stays pending and is sent again — after 1, 2, 4… minutes
(RETRY_FIRST, doubling; a restart tries at once), MAX_ATTEMPTS in all, about two hours. Stopping the
task lets an email in flight finish and be recorded first. (If the process dies between the SMTP
server's acceptance and the write that records it, that one email goes again: SMTP cannot do better than
at least once.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlite_utils

from reports.csvtext import local_time, messages_csv
from reports.schedule import latest_due, next_due, parse_time_of_day
from store import Scope, Store, clients
from store import reports as marks
from store.clock import iso, parse_iso

from .mail import Attachment, MailError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
RETRY_FIRST = timedelta(minutes=1)

SUBJECT = {"fr": "Rapport quotidien — {name} — {day}", "en": "Daily report — {name} — {day}"}
BODY = {
    "fr": "Rapport quotidien de {name} ({code}).\n\n{count} message(s) pris depuis le rapport précédent "
          "({since}), jusqu'au {until}.\nLe détail est dans le fichier CSV joint.\n",
    "en": "Daily report of {name} ({code}).\n\n{count} message(s) taken since the previous report ({since}), "
          "up to {until}.\nThe details are in the attached CSV file.\n",
}


class ReportMailer(Protocol):
    async def send(self, to: str, subject: str, body: str, attachments: tuple[Attachment, ...] = ()) -> str: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class DailyReports:
    store: Store
    mailer: ReportMailer | None  # None: reports are kept for the portal, not emailed
    clock: Callable[[], datetime] = _utc_now
    poll_interval: float = 30.0
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # When each report whose email failed may be tried again (report id → instant).
    _retry_at: dict[int, datetime] = field(default_factory=dict, init=False)

    def wake(self) -> None:
        """Look now (the settings changed)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a fault of one look must not stop the reports
                log.exception("reports: a look at the daily reports failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), await self._sleep())
            except TimeoutError:
                pass

    async def _sleep(self) -> float:
        """Until the nearest run, at most poll_interval."""
        now = self.clock()
        settings = await self.store.read(_settings_and_zones)
        nearest = min((next_due(now, parse_time_of_day(s.at), zone) for s, zone in settings), default=None)
        if nearest is None:
            return self.poll_interval
        return min(max((nearest - now).total_seconds(), 0.01), self.poll_interval)

    async def tick(self) -> list[marks.DailyReport]:
        """One look: make every report due, then send every report pending; the reports made."""
        now = self.clock()
        made = []
        for settings, zone in await self.store.read(_settings_and_zones):
            due = latest_due(now, parse_time_of_day(settings.at), zone)
            if iso(due) <= settings.last_due_at:
                continue
            try:
                report = await self.store.write(
                    lambda db, s=settings, z=zone, d=due: self._make(db, s, z, iso(d), iso(now)))
            except Exception:  # one client's fault must not hold up the others' reports
                log.exception("reports: the daily report of client %s failed", settings.client_code)
                continue
            if report is not None:
                log.info("reports: client %s, report %d due %s: %d message(s)", report.client_code, report.id,
                         report.due_at, report.messages)
                made.append(report)
        for report in await self.store.read(marks.unsent):
            if self._retry_at.get(report.id, now) <= now:
                await self._send(report)
        return made

    def _make(self, db: sqlite_utils.Database, seen: marks.ReportSettings, zone: ZoneInfo, due: str,
              now: str) -> marks.DailyReport | None:
        """On the writer: the report of every message since the last one, and the marks moved past it."""
        settings = marks.get_settings(db, seen.client_code)
        if settings is None or settings.last_due_at >= due:
            return None  # removed, or made meanwhile
        held = marks.messages_after(db, settings.client_code, settings.last_message_id)
        to = marks.recipients(db, settings)
        status = "pending" if to and self.mailer is not None else ("no_recipients" if not to else "no_smtp")
        return marks.keep_report(db, settings, due, now, held, messages_csv(held, zone), to, status)

    async def _send(self, report: marks.DailyReport) -> None:
        assert self.mailer is not None  # pending only when there is a mailer
        found = await self.store.read(lambda db: (
            marks.report_csv(db, Scope.everything(), report.id), clients.get_client(db, report.client_code)))
        kept, client = found
        if kept is None or client is None:
            return
        zone = ZoneInfo(client.timezone)
        language = client.language if client.language in SUBJECT else "fr"
        day = parse_iso(report.due_at).astimezone(zone).date().isoformat()
        subject = SUBJECT[language].format(name=client.name, day=day)
        body = BODY[language].format(name=client.name, code=client.code, count=report.messages,
                                     since=local_time(report.since_due_at, zone),
                                     until=local_time(report.due_at, zone))
        attachment = Attachment(f"report-{client.code}-{day}.csv", kept[1].encode("utf-8"))
        sending = asyncio.ensure_future(self.mailer.send(", ".join(report.recipients), subject, body, (attachment,)))
        stopping = False
        try:
            try:
                detail = await asyncio.shield(sending)
            except asyncio.CancelledError:
                # Stopping: the email in flight is finished (the mailer's timeout bounds it) and recorded,
                # or the SMTP server may have it and a restart would send it again.
                stopping = True
                detail = await sending
            status = "sent"
            self._retry_at.pop(report.id, None)
        except MailError as exc:
            detail = str(exc)
            status = "failed" if report.attempts + 1 >= MAX_ATTEMPTS else "pending"
            self._retry_at[report.id] = self.clock() + RETRY_FIRST * 2 ** report.attempts
            log.warning("reports: the email of report %d (client %s) failed: %s", report.id, report.client_code,
                        detail)
        await self.store.write(lambda db: marks.record_sending(db, report.id, status, iso(self.clock()), detail))
        if stopping:
            raise asyncio.CancelledError


def _settings_and_zones(db: sqlite_utils.Database) -> list[tuple[marks.ReportSettings, ZoneInfo]]:
    out = []
    for settings in marks.list_settings(db):
        client = clients.get_client(db, settings.client_code)
        if client is not None:
            out.append((settings, ZoneInfo(client.timezone)))
    return out
