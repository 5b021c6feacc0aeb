"""The daily report in `permanence serve` itself: the daily-reports task is wired to the configuration's
SMTP server. The back end was down through the client's last report times (the store says the last run
was three days ago): started, it sends one late report with every message since, to the local SMTP
server; killed with -9 and started again, it sends nothing more."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import Scope, clients, connect, contacts, messages, migrate
from store import reports as daily
from store.clock import iso
from tests.support import free_port, wait_for

from .conftest import Smtp
from .test_restart import Serve


def _config(directory: Path, web_port: int, smtp: Smtp) -> Path:
    path = directory / "permanence.toml"
    path.write_text(f"""mode = "demo"
[store]
path = "{directory / 's.sqlite3'}"
[paths]
recordings = "{directory / 'recordings'}"
[agi]
port = {free_port()}
[ami]
port = {free_port()}
[web]
port = {web_port}
[email]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
sender = "reports@permanence.test"
""", encoding="utf-8")
    return path


def test_serve_sends_the_missed_report_once_across_a_kill(tmp_path: Path, smtp: Smtp) -> None:
    migrate(tmp_path / "s.sqlite3")
    db = connect(tmp_path / "s.sqlite3")
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    try:
        clients.add_client(db, "1000", "Plomberie Demo", timezone="Europe/Paris")
        contacts.add_contact(db, "1000", "Marie Gagnon", role="gérante", email="marie@example.org")
        daily.set_settings(db, "1000", "06:00", ["Gérante"], now=iso(three_days_ago))
        taken = [messages.create_message(db, "1000", "agent101", text=f"message {n}", fields={"city": city},
                                         at=iso(three_days_ago + timedelta(hours=n))).id
                 for n, city in enumerate(("Lyon", "Paris"))]
    finally:
        db.close()
    web_port = free_port()
    serve = Serve(_config(tmp_path, web_port, smtp), web_port, tmp_path / "serve.log")
    try:
        serve.start()
        wait_for(lambda: len(smtp.inbox.messages) >= 1, 15, "the late report at the SMTP server")
        [mail] = smtp.inbox.messages
        assert mail["To"] == "marie@example.org" and mail["From"] == "reports@permanence.test"
        [part] = list(mail.iter_attachments())
        rows = list(csv.DictReader(io.StringIO(part.get_content())))
        assert [(int(r["id"]), r["fields.city"]) for r in rows] == list(zip(taken, ("Lyon", "Paris"), strict=True))
        serve.kill()
        serve.start()
        time.sleep(2)  # the first look of the restarted task has run
        assert len(smtp.inbox.messages) == 1
        db = connect(tmp_path / "s.sqlite3")
        try:
            [report] = daily.list_reports(db, Scope.everything())
        finally:
            db.close()
        assert (report.status, report.messages, report.attempts) == ("sent", 2, 1)
    finally:
        serve.stop()
