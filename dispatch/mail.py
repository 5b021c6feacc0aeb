"""Email over SMTP with an asyncio client (aiosmtplib): one connection per email, closed after it."""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes  # UTF-8 for a text type
    mime_type: str = "text/csv"


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()) -> str:
        """Send a plain text email (to one address, or several separated by commas), with its attachments;
        its Message-ID, or MailError."""
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.sender, to, subject
        message["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
        message.set_content(body)
        for item in attachments:
            kind, _, subtype = item.mime_type.partition("/")
            if kind == "text":  # as text, so the part says charset=utf-8
                message.add_attachment(item.content.decode("utf-8"), subtype=subtype, filename=item.filename)
            else:
                message.add_attachment(item.content, maintype=kind, subtype=subtype, filename=item.filename)
        try:
            await aiosmtplib.send(
                message, hostname=s.host, port=s.port, username=s.username or None, password=s.password or None,
                use_tls=s.security == "tls", start_tls=True if s.security == "starttls" else False,
                timeout=s.timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailError(f"SMTP {s.host}:{s.port}: {exc or type(exc).__name__}") from None
        return str(message["Message-ID"])
