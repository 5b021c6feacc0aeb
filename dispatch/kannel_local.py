"""A Kannel on this machine with Kannel's fake SMS centre: the demo's (`make run`) and the tests'.

bearerbox and smsbox read the configuration dispatch.kannel renders, as in production; only the SMS
centre is the fake one. `fakesmsc` (kannel-extras) connects to it as the phones would: it prints every
SMS Kannel sends (the log `sent` reads) and hands Kannel every line written to its standard input as an
SMS that comes in (`reply`). The demo keeps that input on a named pipe, so that another process (the
CLI's `permanence demo sms-reply`) can type a reply.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote_to_bytes

from .kannel import KannelSettings, write

FAKESMSC = "/usr/lib/kannel/test/fakesmsc"  # kannel-extras
BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
# One line per SMS (or part of one): "text" as it is; "ucs-2" (coding 2) as its UTF-16 bytes, URL-encoded;
# "udh <header> data <bytes>" for each part of a concatenated SMS, URL-encoded.
GOT = re.compile(rb"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$", re.MULTILINE)
START_S = 20.0


class KannelStartError(RuntimeError):
    """bearerbox, smsbox or the fake SMS centre did not come up; the message says which and why."""


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


def reply_line(sender: str, to: str, text: str) -> bytes:
    """The line fakesmsc takes as an SMS from `sender` to `to`; one line, so no line breaks in it."""
    if not sender or not to or any(c.isspace() for c in sender + to):
        raise ValueError(f"an SMS's numbers have no spaces: {sender!r} → {to!r}")
    return f"{sender} {to} text {' '.join(text.split())}\n".encode()


def _poll(check: Callable[[], bool], seconds: float, what: str, detail: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise KannelStartError(f"{what} within {seconds:g} s: {detail()}")


class LocalKannel:
    """bearerbox, smsbox and fakesmsc as child processes, their output in the settings' directory.
    `inbox`: a named pipe fakesmsc reads (the demo's); None: a pipe of this process's (`reply`)."""

    def __init__(self, settings: KannelSettings, *, extra_core: str = "", inbox: Path | None = None) -> None:
        self.settings = settings
        self.directory = settings.directory
        self.conf = write(settings)
        if extra_core:  # lines the core group gets besides the rendered ones (a test's black list)
            text = self.conf.read_text(encoding="utf-8")
            self.conf.write_text(text.replace("group = core\n", "group = core\n" + extra_core, 1), encoding="utf-8")
        self.inbox = inbox
        self.fake_log = self.directory / "fakesmsc.log"
        self.processes: list[subprocess.Popen[bytes]] = []
        self._input: IO[bytes] | None = None

    def _spawn(self, name: str, *args: str, stdin: int | IO[bytes] | None = None) -> subprocess.Popen[bytes]:
        with (self.directory / f"{name}.out").open("ab") as out:
            process = subprocess.Popen([*args], stdin=stdin, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def status(self) -> str:
        """bearerbox's status page (admin interface, loopback)."""
        s = self.settings
        url = f"http://127.0.0.1:{s.admin_port}/status.txt?password={s.admin_password}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()

    def _status_or_error(self) -> str:
        try:
            return self.status()
        except OSError as exc:
            return repr(exc)

    def start(self) -> None:
        for path in (FAKESMSC, BEARERBOX, SMSBOX):
            if not os.access(path, os.X_OK):
                raise KannelStartError(f"{path} is missing (Debian packages kannel and kannel-extras)")
        try:
            self._spawn("bearerbox", BEARERBOX, str(self.conf))
            _poll(lambda: "running" in self.status(), START_S, "bearerbox did not answer", self._status_or_error)
            self._spawn("smsbox", SMSBOX, str(self.conf))
            fake = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.settings.fake_port), "-v", "0"]
            with self.fake_log.open("ab") as out:
                if self.inbox is None:
                    process = subprocess.Popen(fake, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
                    self._input = process.stdin
                else:
                    if self.inbox.exists() and not self.inbox.is_fifo():
                        raise KannelStartError(f"{self.inbox} is not a named pipe")
                    if not self.inbox.exists():
                        os.mkfifo(self.inbox, 0o600)
                    # Read and write: fakesmsc never sees the end of its input when a writer closes the pipe.
                    fifo = os.open(self.inbox, os.O_RDWR)
                    try:
                        process = subprocess.Popen(fake, stdin=fifo, stdout=out, stderr=subprocess.STDOUT)
                    finally:
                        os.close(fifo)
            self.processes.append(process)
            # Both boxes in: the fake SMS centre online, one smsbox connected.
            _poll(lambda: "online" in self.status() and "smsbox:(none)" in self.status().replace(" ", ""),
                  START_S, "Kannel's fake SMS centre and smsbox did not connect", self._status_or_error)
        except BaseException:
            self.stop()
            raise

    def sent(self) -> list[Sms]:
        """Every SMS Kannel has sent to the fake SMS centre so far, oldest first."""
        return parse(self.fake_log.read_bytes()) if self.fake_log.exists() else []

    def reply(self, sender: str, text: str) -> None:
        """An SMS from `sender` to the service's number, as the SMS centre would hand it over."""
        line = reply_line(sender, self.settings.sender, text)
        if self._input is not None:
            self._input.write(line)
            self._input.flush()
        elif self.inbox is not None:
            send_to_inbox(self.inbox, line)
        else:
            raise RuntimeError("Kannel is not started")

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
        self.processes.clear()
        self._input = None


def send_to_inbox(inbox: Path, line: bytes) -> None:
    """Write one SMS line into a running demo gateway's named pipe; refused at once if nobody reads it."""
    if not inbox.is_fifo():
        raise FileNotFoundError(f"{inbox}: no SMS gateway is running (make run starts it)")
    try:
        fd = os.open(inbox, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:  # ENXIO: no reader, the gateway is gone
        raise FileNotFoundError(f"{inbox}: no SMS gateway is reading it ({exc.strerror})") from None
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
