"""`permanence serve` killed with -9 in the middle of a dispatch chain, then started again: each message
resumes at the step and deadline it had, nothing already sent goes twice, and a code sent before the
restart still confirms after it. Kannel and the SMTP server keep running meanwhile, as they would."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from store import connect, messages, migrate, sms_delivery
from store.clock import parse_iso
from tests.support import free_port, wait_for

from .conftest import BACKUP_EMAIL, MOBILE, PASSWORDS, KannelSession, Smtp, seed

BIN = Path(sys.executable).parent
STEPS = [{"channel": "sms", "to": "on_call", "wait_s": 8}, {"channel": "email", "to": "backup", "wait_s": 60}]
CODE = re.compile(r"(\w{1,4})$")


def _config(directory: Path, kannel: KannelSession, smtp: Smtp) -> Path:
    k = kannel.kannel.settings
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
port = {kannel.web_port}
[sms]
sender = "{k.sender}"
sendsms_port = {k.sendsms_port}
sendsms_user = "{k.sendsms_user}"
sendsms_password = "{k.sendsms_password}"
admin_port = {k.admin_port}
admin_password = "{k.admin_password}"
smsbox_port = {k.smsbox_port}
inbound_token = "{k.inbound_token}"
inbound_url = "{k.inbound_url}"
fake_port = {k.fake_port}
[email]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
sender = "dispatch@permanence.test"
[dispatch]
public_url = "http://127.0.0.1:{kannel.web_port}"
poll_interval = 0.2
""", encoding="utf-8")
    return path


class Serve:
    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.process: subprocess.Popen[bytes] | None = None
        # This configuration alone: no PERMANENCE_* of the environment overrides it.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PERMANENCE_")}
        self.env["PERMANENCE_CONFIG"] = str(config)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([str(BIN / "permanence"), "serve"], stdout=out, stderr=subprocess.STDOUT,
                                            env=self.env)

        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/openapi.json", timeout=2) as r:
                return r.status == 200

        wait_for(up, 30, "permanence serve answering")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)

    def post_message(self, token: str, text: str) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/messages", method="POST",
                                         data=json.dumps({"client_code": "1000", "text": text}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())

    def token(self) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/login", method="POST",
                                         data=json.dumps({"login": "root", "password": PASSWORDS["root"]}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as r:
            return json.loads(r.read())["token"]


def test_a_restart_mid_chain_resumes_each_message_at_its_step_and_deadline(
        tmp_path: Path, kannel: KannelSession, smtp: Smtp) -> None:
    config = _config(tmp_path, kannel, smtp)
    migrate(tmp_path / "s.sqlite3")  # migrated and seeded before serve opens it
    db = connect(tmp_path / "s.sqlite3")
    try:
        seed(db, STEPS)
    finally:
        db.close()
    serve = Serve(config, kannel.web_port, tmp_path / "serve.log")
    gateway = kannel.kannel
    before = len(gateway.sent())
    try:
        serve.start()
        token = serve.token()
        answered = serve.post_message(token, "Rappeler Mme Roy: chauffe-eau en panne")
        left = serve.post_message(token, "Rappeler M. Caron: porte de garage bloquée")
        wait_for(lambda: len([s for s in gateway.sent()[before:] if s.to == MOBILE]) == 2, 10, "two SMS sent")
        codes = {name: CODE.search(s.text).group(1) for s in gateway.sent()[before:] for name in ("Roy", "Caron")
                 if name in s.text}
        assert set(codes) == {"Roy", "Caron"} and codes["Roy"] != codes["Caron"]
        ahead = _states(tmp_path)
        serve.kill()
        killed_at = time.time()
        # Mme Roy answers while the back end is down: smsbox keeps trying the web app until it is back.
        gateway.reply(MOBILE, f"OK {codes['Roy']}")
        time.sleep(1.5)
        assert _states(tmp_path)[answered["id"]]["status"] == "dispatching"
        serve.start()
        # The same steps and deadlines for the one nobody answered; nothing sent again.
        assert _states(tmp_path)[left["id"]] == ahead[left["id"]]
        assert all(s["status"] == "dispatching" and s["step"] == 0 for s in ahead.values())
        # The code sent before the restart, replied while it was down, confirms after it, within its deadline.
        wait_for(lambda: _states(tmp_path)[answered["id"]]["status"] == "delivered", 10, "Mme Roy's message delivered")
        # Nothing sent again: the two messages' SMS, and Mme Roy told by SMS that her reply confirmed it.
        wait_for(lambda: len([s for s in gateway.sent()[before:] if s.to == MOBILE]) == 3, 10, "the answer to Mme Roy")
        assert [s.text.startswith("Plomberie Demo") for s in gateway.sent()[before:] if s.to == MOBILE] == [
            True, True, False]
        # The other one waits for its own deadline, then the email step starts: at that deadline, not before.
        wait_for(lambda: smtp.inbox.messages, 20, "the email to the backup after the SMS deadline")
        [mail] = smtp.inbox.messages
        assert mail["To"] == BACKUP_EMAIL and "porte de garage" in mail.get_content()
        history = _history(tmp_path, left["id"])
        assert [(e.step, e.channel, e.result) for e in history] == [(0, "sms", "sent"), (0, "sms", "no_reply"),
                                                                      (1, "email", "sent")]
        deadline = parse_iso(ahead[left["id"]]["deadline"])
        moved = parse_iso(history[1].at)
        assert 0 <= (moved - deadline).total_seconds() < 2, (history[1].at, ahead[left["id"]]["deadline"])
        assert moved.timestamp() > killed_at  # decided by the restarted process
        roy = _history(tmp_path, answered["id"])
        assert [(e.channel, e.result, e.confirmed_by) for e in roy] == [("sms", "sent", None),
                                                                          ("sms", "confirmed", MOBILE)]
        # Kannel's delivery reports of both SMS reached the web app, before the kill or retried after it.
        wait_for(lambda: [_history(tmp_path, m["id"], reports=True)[0].delivery for m in (answered, left)]
                 == ["delivered", "delivered"], 10, "both SMS reported delivered")
    finally:
        serve.stop()


def _states(directory: Path) -> dict[int, dict]:
    with sqlite3.connect(directory / "s.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return {r["id"]: dict(r) for r in conn.execute("SELECT id, status, step, deadline FROM messages")}


def _history(directory: Path, message_id: int, reports: bool = False) -> list[messages.HistoryEntry]:
    """The message's history; without Kannel's delivery reports unless asked for (they come at Kannel's pace)."""
    db = connect(directory / "s.sqlite3")
    try:
        return [e for e in messages.history(db, message_id) if reports or e.result not in sms_delivery.RESULTS]
    finally:
        db.close()

