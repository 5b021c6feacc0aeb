"""A real Kannel for the tests (dispatch.kannel_local, as `make run` has it): bearerbox and smsbox on free
ports with the fake SMS centre, and Kannel's own fakesmsc connected to it — it prints every SMS Kannel
sends and injects the SMS a test types (replies).

Its configuration is rendered by dispatch.kannel, as in production; only the SMS centre is the fake one, and
bearerbox refuses the SMS to one number (REFUSED, a black-listed receiver): the fake SMS centre takes every
SMS, so that is how a test sees Kannel refuse one and report it (16).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from dispatch.kannel import KannelSettings
from dispatch.kannel_local import LocalKannel, Sms, parse
from tests.support import free_port

__all__ = ["REFUSED", "SENDER", "Kannel", "Sms", "parse", "test_settings"]

SENDER = "+15145550000"  # the service's own number: the SMS come from it, the replies go to it
REFUSED = "+15145550666"  # bearerbox refuses every SMS to it (sendsms 403, and a 16 report "NACK/…")


def test_settings(directory: Path, inbound_url: str) -> KannelSettings:
    """A Kannel with the fake SMS centre, on free ports, with fresh passwords."""
    return KannelSettings(
        sender=SENDER, host="127.0.0.1", sendsms_port=free_port(), sendsms_user="permanence",
        sendsms_password=secrets.token_hex(8), admin_port=free_port(), admin_password=secrets.token_hex(8),
        smsbox_port=free_port(), inbound_url=inbound_url, inbound_token=secrets.token_hex(8),
        directory=directory, smsc="fake", fake_port=free_port())


class Kannel(LocalKannel):
    def __init__(self, directory: Path, inbound_url: str, settings: KannelSettings | None = None) -> None:
        super().__init__(settings or test_settings(directory, inbound_url),
                         extra_core=f'black-list-receiver-regex = "^[+]{REFUSED[1:]}$"\n')
