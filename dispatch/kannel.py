"""SMS through Kannel: its configuration rendered from ours, and its sendsms HTTP interface.

bearerbox talks to the SMS centre (SMPP, or Kannel's fake SMSC in tests), smsbox serves sendsms and
hands each SMS that comes in to its sms-service, whose get-url is our /api/sms/inbound with the shared
secret. Every dispatch SMS asks for delivery reports (dlr-mask, dlr-url): smsbox calls our
/api/sms/delivery with the same secret, the attempt's id and the report's type. The file is written with
the secrets in it, readable by its owner only, never kept in git.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from store.sms_delivery import REPORTS

SENDSMS_TIMEOUT = 10.0
MAX_PARTS = 3  # a long message goes as up to 3 concatenated SMS
INBOUND_RETRIES, INBOUND_RETRY_S = 30, 2  # smsbox's retries of a reply the web app did not take
# The reports asked for: the SMS centre took it (8) or refused it (16), the phone got it (1) or never will (2).
DLR_MASK = sum(REPORTS)


class SmsError(RuntimeError):
    """The gateway did not take the SMS; the message says what it answered."""


@dataclass(frozen=True)
class KannelSettings:
    sender: str
    host: str
    sendsms_port: int
    sendsms_user: str
    sendsms_password: str
    admin_port: int
    admin_password: str
    smsbox_port: int
    inbound_url: str  # /api/sms/inbound, without the token
    inbound_token: str  # also the delivery reports' token
    directory: Path  # logs and the message store
    smsc: str = "fake"
    fake_port: int = 13010
    smpp_host: str = ""
    smpp_port: int = 2775
    smpp_system_id: str = ""
    smpp_password: str = ""
    delivery_url: str = ""  # /api/sms/delivery, without its query; empty: beside inbound_url

    @property
    def reports_url(self) -> str:
        """Where smsbox sends the delivery reports: delivery_url, or the same web app as the replies."""
        return self.delivery_url or self.inbound_url.rsplit("/", 1)[0] + "/delivery"

    def dlr_url(self, attempt_id: int) -> str:
        """The dlr-url of one attempt's SMS: the shared token and the attempt's id, then Kannel's escapes
        for the report's type (%d) and the SMS centre's answer (%A), which smsbox fills in."""
        query = urlencode({"token": self.inbound_token, "attempt": attempt_id})
        return f"{self.reports_url}?{query}&status=%d&reply=%A"


def _quote(value: object) -> str:
    text = str(value)
    if any(c in text for c in '"\r\n'):
        raise ValueError(f"a Kannel configuration value cannot hold quotes or newlines: {text!r}")
    return f'"{text}"'


def _group(name: str, values: dict[str, object]) -> str:
    lines = [f"group = {name}"] + [f"{key} = {_quote(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def render(s: KannelSettings) -> str:
    """kannel.conf for bearerbox and smsbox (both read the same file)."""
    loopback = {"box-deny-ip": "*.*.*.*", "box-allow-ip": "127.0.0.1"}
    core = {
        "admin-port": s.admin_port, "admin-interface": s.host, "admin-password": s.admin_password,
        "admin-deny-ip": "*.*.*.*", "admin-allow-ip": "127.0.0.1",
        "smsbox-port": s.smsbox_port, "smsbox-interface": s.host, **loopback,
        "log-file": s.directory / "bearerbox.log", "log-level": 1, "access-log": s.directory / "access.log",
        # Messages accepted but not yet delivered survive a restart of bearerbox.
        "store-type": "file", "store-location": s.directory / "kannel.store", "dlr-storage": "internal",
    }
    if s.smsc == "fake":
        smsc = {"smsc": "fake", "smsc-id": "fake", "port": s.fake_port, "connect-allow-ip": "127.0.0.1"}
    else:
        smsc = {"smsc": "smpp", "smsc-id": "smpp", "host": s.smpp_host, "port": s.smpp_port,
                "transceiver-mode": "true", "smsc-username": s.smpp_system_id, "smsc-password": s.smpp_password,
                "source-addr-ton": 1, "source-addr-npi": 1, "dest-addr-ton": 1, "dest-addr-npi": 1}
    # A reply that finds the back end down (a restart) is tried again for a minute rather than lost.
    smsbox = {"bearerbox-host": s.host, "bearerbox-port": s.smsbox_port, "sendsms-port": s.sendsms_port,
              "sendsms-interface": s.host, "log-file": s.directory / "smsbox.log", "log-level": 1,
              "mo-recode": "true", "http-request-retry": INBOUND_RETRIES, "http-queue-delay": INBOUND_RETRY_S}
    user = {"username": s.sendsms_user, "password": s.sendsms_password, "user-deny-ip": "*.*.*.*",
            "user-allow-ip": "127.0.0.1", "max-messages": MAX_PARTS, "concatenation": "true"}
    # Every SMS that comes in goes to the web app, sender (%p), receiver (%P) and whole text (%a); its
    # answer, when it has one, goes back to the sender as one SMS (what their reply did); none is sent
    # for an empty answer (a number we never wrote to gets nothing).
    service = {"keyword": "default", "catch-all": "true", "max-messages": 1, "omit-empty": "true",
               "get-url": f"{s.inbound_url}?{urlencode({'token': s.inbound_token})}&from=%p&to=%P&text=%a"}
    text = "\n".join([_group("core", core), _group("smsc", smsc), _group("smsbox", smsbox),
                      _group("sendsms-user", user), _group("sms-service", service)])
    return text


def write(s: KannelSettings, path: Path | None = None) -> Path:
    """Write kannel.conf (mode 0600) in the settings' directory, or at `path`; returns where."""
    s.directory.mkdir(parents=True, exist_ok=True)
    target = path or s.directory / "kannel.conf"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(render(s))
    os.chmod(target, 0o600)
    return target


class SmsGateway:
    """Sends through smsbox's sendsms interface; one HTTP session for the process."""

    def __init__(self, settings: KannelSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.sendsms_port}/cgi-bin/sendsms"

    async def send(self, to: str, text: str, attempt_id: int | None = None) -> str:
        """Hand an SMS to Kannel; its answer ("0: Accepted for delivery"), or SmsError. The SMS of a
        dispatch attempt asks for its delivery reports."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SENDSMS_TIMEOUT))
        s = self.settings
        params = {"username": s.sendsms_user, "password": s.sendsms_password, "from": s.sender, "to": to,
                  "text": text, "charset": "UTF-8", "coding": "2" if _needs_ucs2(text) else "0"}
        if attempt_id is not None:
            params |= {"dlr-mask": str(DLR_MASK), "dlr-url": s.dlr_url(attempt_id)}
        try:
            async with self._session.get(self.url, params=params) as response:
                answer = (await response.text()).strip()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SmsError(f"SMS gateway {self.url} unreachable: {exc or type(exc).__name__}") from None
        if response.status not in (200, 202):
            raise SmsError(f"SMS gateway refused the SMS: {response.status} {answer[:200]}")
        return answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# The GSM 03.38 default alphabet (what one 7-bit SMS carries); anything else goes as UCS-2.
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
           "¿abcdefghijklmnopqrstuvwxyzäöñüà")


def _needs_ucs2(text: str) -> bool:
    return any(c not in _GSM for c in text)
