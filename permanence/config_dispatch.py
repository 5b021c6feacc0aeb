"""The dispatch's sections of the configuration: the SMS gateway, the SMTP server, the dispatch itself
(permanence.config reads and checks them with the others)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SmsConfig:
    """The SMS gateway: a Kannel bearerbox and smsbox whose configuration `permanence kannel-config`
    renders from this section (never edited by hand). No sendsms password: no SMS is sent."""

    # The number the SMS come from, where the replies (confirmation codes) come back; E.164.
    sender: str = ""
    host: str = "127.0.0.1"  # where bearerbox and smsbox listen (loopback: they trust the peer address)
    sendsms_port: int = 13013
    sendsms_user: str = "permanence"
    sendsms_password: str = ""
    admin_port: int = 13000
    admin_password: str = ""
    smsbox_port: int = 13001
    # The shared token smsbox's sms-service sends with each reply to /api/sms/inbound (?token=…).
    inbound_token: str = ""
    # Where Kannel reaches the web app for the replies.
    inbound_url: str = "http://127.0.0.1:8080/api/sms/inbound"
    # Where Kannel sends each SMS's delivery reports (with inbound_token); empty: beside inbound_url.
    delivery_url: str = ""
    # The SMS centre: "fake" (Kannel's test SMSC: fakesmsc connects to fake_port) or "smpp".
    smsc: str = "fake"
    fake_port: int = 13010
    smpp_host: str = ""
    smpp_port: int = 2775
    smpp_system_id: str = ""
    smpp_password: str = ""
    # Where the rendered configuration, Kannel's logs and its message store go.
    kannel_dir: str = "var/kannel"


@dataclass(frozen=True)
class EmailConfig:
    """The SMTP server dispatch emails go through (empty host: no email is sent)."""

    host: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    # "starttls" (upgrade a plain connection), "tls" (TLS from the start) or "none" (a local relay).
    security: str = "starttls"
    sender: str = ""
    timeout: float = 30.0


@dataclass(frozen=True)
class DispatchConfig:
    # The web app's address as recipients reach it: confirmation links in emails start with it.
    public_url: str = "http://127.0.0.1:8080"
    # Seconds between two looks at the messages whose step is due (a new message is looked at at once).
    poll_interval: float = 1.0
