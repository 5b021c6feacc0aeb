"""Helpers shared by the test packages: free ports, a test configuration, polling."""

from __future__ import annotations

import random
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_tcp_port() -> int:
    """A port free for both UDP and TCP (SIP)."""
    for _ in range(50):
        port = free_port(socket.SOCK_DGRAM)
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free SIP port")


def rtp_range(size: int = 100) -> tuple[int, int]:
    for _ in range(50):
        start = random.randrange(30000, 39000, 2)
        try:
            for port in (start, start + size - 1):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return start, start + size - 1
    raise RuntimeError("no free RTP range")


def write_test_config(directory: Path) -> tuple[Path, dict]:
    """A demo-mode configuration on free ports with everything under `directory`."""
    rtp_start, rtp_end = rtp_range()
    values = {
        "store": directory / "permanence.sqlite3",
        "recordings": directory / "recordings",
        "agi_port": free_port(),
        "ami_port": free_port(),
        "web_port": free_port(),
        "sip_port": free_udp_tcp_port(),
        "rtp_start": rtp_start,
        "rtp_end": rtp_end,
        "ami_secret": secrets.token_hex(16),
        "ami_action_secret": secrets.token_hex(16),  # the admin API's reload logs in with it
        "ami_originate_secret": secrets.token_hex(16),  # listen, whisper and barge; callbacks
        "softphone_secret": secrets.token_hex(8),
        # where the carrier takes our outbound calls (a dispatch step's call): a sipp UAS in the tests
        "outbound_port": free_port(socket.SOCK_DGRAM),
        "callback_port": free_port(socket.SOCK_DGRAM),  # where a callback reaches its caller (a sipp UAS)
        # the sandbox's /var/log/asterisk (scripts/asterisk-sandbox, PERMANENCE_SANDBOX_DIR=directory/asterisk)
        "cel_db": directory / "asterisk" / "log" / "permanence-cel.db",
    }
    # Kannel for the SMS steps of dispatch (tests/dispatch/kannel.py starts it with these settings).
    from tests.dispatch.kannel import test_settings

    sms = test_settings(directory / "kannel", f"http://127.0.0.1:{values['web_port']}/api/sms/inbound")
    values["kannel"] = sms
    path = directory / "permanence.toml"
    path.write_text(
        f"""mode = "demo"
[store]
path = "{values['store']}"
[paths]
recordings = "{values['recordings']}"
prompts = "{REPO / 'svi_prompts'}"
[agi]
port = {values['agi_port']}
[ami]
port = {values['ami_port']}
secret = "{values['ami_secret']}"
action_secret = "{values['ami_action_secret']}"
originate_secret = "{values['ami_originate_secret']}"
ping_interval = 2.0
[web]
port = {values['web_port']}
[asterisk]
sip_port = {values['sip_port']}
rtp_start = {rtp_start}
rtp_end = {rtp_end}
softphone_secret = "{values['softphone_secret']}"
cel_db = "{values['cel_db']}"
config_dir = "{directory / 'asterisk' / 'etc'}"
[ivr]
checkin_lock_after = 2
[phone]
outbound = "127.0.0.1:{values['outbound_port']}"
ring_s = 10
[dispatch]
poll_interval = 0.2
[sms]
sender = "{sms.sender}"
sendsms_port = {sms.sendsms_port}
sendsms_password = "{sms.sendsms_password}"
admin_port = {sms.admin_port}
admin_password = "{sms.admin_password}"
smsbox_port = {sms.smsbox_port}
inbound_url = "{sms.inbound_url}"
inbound_token = "{sms.inbound_token}"
fake_port = {sms.fake_port}
kannel_dir = "{sms.directory}"
[callback]
dial = "PJSIP/carrier/sip:{{number}}@127.0.0.1:{values['callback_port']}"
interval_s = 0.5
""",
        encoding="utf-8",
    )
    return path, values


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:  # remembered for the failure message
            last_error, result = exc, None
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last error: {last_error!r})")


def two_clients(tmp_path: Path):
    """A migrated store file with clients 1000 (A) and 2000 (B); yields the connection, then closes it."""
    from store import clients, connect, migrate

    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "A")
    clients.add_client(conn, "2000", "B")
    yield conn
    conn.close()
