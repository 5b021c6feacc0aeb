"""Email over SMTP with an asyncio client (aiosmtplib): one connection per email, closed after it."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib


class MailError(RuntimeError):
    """The SMTP server did not take the email; the message says what it answered."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    security: str = "starttls"  # starttls | tls | none
    timeout: float = 30.0


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> str:
        """Send a plain text email; its Message-ID, or MailError."""
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.sender, to, subject
        message["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message, hostname=s.host, port=s.port, username=s.username or None, password=s.password or None,
                use_tls=s.security == "tls", start_tls=True if s.security == "starttls" else False,
                timeout=s.timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"SMTP {s.host}:{s.port}: {exc or type(exc).__name__}") from None
        return str(message["Message-ID"])
