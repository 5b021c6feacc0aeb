"""A real Kannel for the tests: bearerbox and smsbox on free ports with the fake SMSC, and Kannel's own
fakesmsc connected to it — it prints every SMS Kannel sends and injects the SMS a test types (replies).

Its configuration is rendered by dispatch.kannel, as in production; only the SMS centre is the fake one, and
bearerbox refuses the SMS to one number (REFUSED, a black-listed receiver): the fake SMS centre takes every
SMS, so that is how a test sees Kannel refuse one and report it (16).
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from dispatch.kannel import KannelSettings, write
from tests.support import free_port, wait_for

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"  # kannel-extras
BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
SENDER = "+15145550000"  # the service's own number: the SMS come from it, the replies go to it
REFUSED = "+15145550666"  # bearerbox refuses every SMS to it (sendsms 403, and a 16 report "NACK/…")
# One line per SMS (or part of one): "text" as it is; "ucs-2" (coding 2) as its UTF-16 bytes, URL-encoded;
# "udh <header> data <bytes>" for each part of a concatenated SMS, URL-encoded.
GOT = re.compile(rb"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$", re.MULTILINE)


@dataclass(frozen=True)
class Sms:
    sender: str
    to: str
    text: str


def _decode(raw: bytes) -> str:
    """UTF-16 (UCS-2) if it holds a zero byte — Latin text in 7 bits never does —, else UTF-8."""
    return raw.decode("utf-16-be") if b"\x00" in raw else raw.decode()


def _bytes(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b"%20"))


def parse(log: bytes) -> list[Sms]:
    """The SMS in fakesmsc's log, the parts of a concatenated one joined (by their reference)."""
    out: list[Sms] = []
    parts: dict[tuple[bytes, bytes, int], dict[int, bytes]] = {}
    for sender, to, kind, data in GOT.findall(log):
        if kind == b"udh":
            header, _, payload = data.partition(b" ")
            udh = _bytes(header)
            payload = payload.partition(b" ")[2] if payload.startswith((b"data ", b"text ")) else payload
            ref, total, seq = udh[3], udh[4], udh[5]  # concatenation element: 00 03 ref total seq
            got = parts.setdefault((sender, to, ref), {})
            got[seq] = _bytes(payload)
            if len(got) == total:
                out.append(Sms(sender.decode(), to.decode(), _decode(b"".join(got[i] for i in sorted(got)))))
                del parts[(sender, to, ref)]
        elif kind == b"text":
            out.append(Sms(sender.decode(), to.decode(), data.decode()))
        else:
            out.append(Sms(sender.decode(), to.decode(), _decode(_bytes(data))))
    return out


def test_settings(directory: Path, inbound_url: str) -> KannelSettings:
    """A Kannel with the fake SMS centre, on free ports, with fresh passwords."""
    return KannelSettings(
        sender=SENDER, host="127.0.0.1", sendsms_port=free_port(), sendsms_user="permanence",
        sendsms_password=secrets.token_hex(8), admin_port=free_port(), admin_password=secrets.token_hex(8),
        smsbox_port=free_port(), inbound_url=inbound_url, inbound_token=secrets.token_hex(8),
        directory=directory, smsc="fake", fake_port=free_port())


class Kannel:
    def __init__(self, directory: Path, inbound_url: str, settings: KannelSettings | None = None) -> None:
        self.directory = directory
        self.settings = settings or test_settings(directory, inbound_url)
        self.conf = write(self.settings)
        text = self.conf.read_text(encoding="utf-8")
        refuse = f'black-list-receiver-regex = "^[+]{REFUSED[1:]}$"\n'
        self.conf.write_text(text.replace("group = core\n", "group = core\n" + refuse, 1), encoding="utf-8")
        self.processes: list[subprocess.Popen[bytes]] = []
        self.fake_log = directory / "fakesmsc.log"
        self.fake: subprocess.Popen[bytes] | None = None

    def _spawn(self, name: str, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
        with (self.directory / f"{name}.out").open("ab") as out:
            process = subprocess.Popen([*args], stdin=stdin, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def _status(self) -> str:
        url = f"http://127.0.0.1:{self.settings.admin_port}/status.txt?password={self.settings.admin_password}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()

    def start(self) -> None:
        self._spawn("bearerbox", BEARERBOX, str(self.conf))
        wait_for(lambda: "running" in self._status(), 15, "bearerbox up")
        self._spawn("smsbox", SMSBOX, str(self.conf))
        with self.fake_log.open("ab") as out:
            self.fake = subprocess.Popen([FAKESMSC, "-H", "127.0.0.1", "-r", str(self.settings.fake_port), "-v", "0"],
                                         stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(self.fake)
        # Both boxes in: the fake SMSC online, one smsbox connected.
        wait_for(lambda: "online" in self._status() and "smsbox:(none)" in self._status().replace(" ", ""), 20,
                 f"Kannel's fake SMSC online and smsbox connected: {self._status_or_error()}")

    def _status_or_error(self) -> str:
        try:
            return self._status()
        except OSError as exc:
            return repr(exc)

    def sent(self) -> list[Sms]:
        """Every SMS Kannel has sent to the fake SMSC so far, oldest first."""
        return parse(self.fake_log.read_bytes())

    def reply(self, sender: str, text: str) -> None:
        """An SMS from `sender` to the service's number, as the SMS centre would hand it over."""
        assert self.fake is not None and self.fake.stdin is not None
        self.fake.stdin.write(f"{sender} {SENDER} text {text}\n".encode())
        self.fake.stdin.flush()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
