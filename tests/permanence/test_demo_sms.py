"""`permanence demo sms-gateway | sms-sent | sms-reply` (what `make run` starts): the demo configuration
has SMS secrets; the gateway is a real Kannel with its fake SMS centre; an SMS sent through sendsms is
listed by `sms-sent`, and `sms-reply` reaches the web app's inbound URL through smsbox. Ports are free
ones (the environment layer), so the test runs beside a demo."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from dispatch.kannel import SmsGateway
from permanence.cli import main
from permanence.config import load
from permanence.dispatching import kannel_settings
from tests.support import free_port, wait_for


def inbound(got: list[dict[str, list[str]]]) -> type[BaseHTTPRequestHandler]:
    """Stands for the web app's /api/sms/inbound: keeps what smsbox hands over in `got`."""

    class Inbound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            got.append(parse_qs(urlparse(self.path).query))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Inbound


@pytest.fixture
def demo(tmp_path, monkeypatch):
    config = tmp_path / "demo.toml"
    assert main(["demo", "init", str(config)]) == 0
    got: list[dict[str, list[str]]] = []
    web = HTTPServer(("127.0.0.1", 0), inbound(got))
    threading.Thread(target=web.serve_forever, daemon=True).start()
    env = {"PERMANENCE_CONFIG": str(config), "PERMANENCE_SMS_KANNEL_DIR": str(tmp_path / "kannel"),
           "PERMANENCE_SMS_INBOUND_URL": f"http://127.0.0.1:{web.server_port}/api/sms/inbound",
           **{f"PERMANENCE_SMS_{name}": str(free_port())
              for name in ("SENDSMS_PORT", "ADMIN_PORT", "SMSBOX_PORT", "FAKE_PORT")}}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    gateway = subprocess.Popen([sys.executable, "-m", "permanence.cli", "demo", "sms-gateway"],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert gateway.stdout is not None
        line = gateway.stdout.readline()
        assert line.startswith("SMS gateway up"), line + gateway.stdout.read()
        yield load(str(config)), gateway, got
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(30)
        web.shutdown()


def test_the_demo_configuration_sends_sms_and_takes_replies(demo, capsys):
    config, gateway, got = demo
    assert config.sms.sendsms_password and config.sms.inbound_token and config.sms.sender == "+15145550000"

    async def send() -> str:
        sms = SmsGateway(kannel_settings(config))
        try:
            return await sms.send("+15145551234", "Message urgent : fuite d'eau. Code 42")
        finally:
            await sms.close()

    assert "Accepted" in asyncio.run(send())
    wait_for(lambda: main(["demo", "sms-sent"]) == 0 and "fuite" in capsys.readouterr().out, 15, "the SMS listed")
    assert main(["demo", "sms-sent", "--last", "1"]) == 0
    assert capsys.readouterr().out == "+15145550000 → +15145551234\tMessage urgent : fuite d'eau. Code 42\n"

    assert main(["demo", "sms-reply", "+15145551234", "42"]) == 0
    wait_for(lambda: got, 15, "the reply at the inbound URL")
    [query] = got
    assert query["from"] == ["+15145551234"] and query["text"] == ["42"]
    assert query["token"] == [config.sms.inbound_token]

    assert main(["demo", "sms-reply", "+1 514", "42"]) == 2  # a number with a space cannot be one SMS line
    assert "no spaces" in capsys.readouterr().err
    gateway.send_signal(signal.SIGTERM)
    assert gateway.wait(30) == 0
    assert main(["demo", "sms-reply", "+15145551234", "42"]) == 2  # nobody reads the phones' pipe any more
    assert "no SMS gateway" in capsys.readouterr().err


def test_the_gateway_refuses_a_configuration_without_sms(tmp_path, monkeypatch, capsys):
    config = tmp_path / "p.toml"
    config.write_text('mode = "demo"\n', encoding="utf-8")
    monkeypatch.setenv("PERMANENCE_CONFIG", str(config))
    assert main(["demo", "sms-gateway"]) == 2
    assert "sendsms_password is empty" in capsys.readouterr().err
    monkeypatch.setenv("PERMANENCE_SMS_SMSC", "smpp")
    assert main(["demo", "sms-sent"]) == 2
    assert "fake" in capsys.readouterr().err

