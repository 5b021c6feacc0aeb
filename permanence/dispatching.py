"""The dispatch's parts as the configuration sets them up: Kannel's settings, the SMTP mailer, the channels."""

from __future__ import annotations

from pathlib import Path

from ami.originate import Originator
from dispatch.kannel import KannelSettings, SmsGateway
from dispatch.mail import Mailer, MailSettings
from dispatch.phone import PhoneChannel
from dispatch.scheduler import Channels

from .config import Config


def kannel_settings(config: Config) -> KannelSettings:
    s = config.sms
    return KannelSettings(
        sender=s.sender, host=s.host, sendsms_port=s.sendsms_port, sendsms_user=s.sendsms_user,
        sendsms_password=s.sendsms_password, admin_port=s.admin_port, admin_password=s.admin_password,
        smsbox_port=s.smsbox_port, inbound_url=s.inbound_url, inbound_token=s.inbound_token,
        directory=Path(s.kannel_dir).resolve(), smsc=s.smsc, fake_port=s.fake_port, smpp_host=s.smpp_host,
        smpp_port=s.smpp_port, smpp_system_id=s.smpp_system_id, smpp_password=s.smpp_password,
        delivery_url=s.delivery_url)


def mail_settings(config: Config) -> MailSettings:
    e = config.email
    return MailSettings(host=e.host, port=e.port, sender=e.sender, username=e.username, password=e.password,
                        security=e.security, timeout=e.timeout)


def channels(config: Config, originator: Originator | None = None) -> Channels:
    """SMS when a sendsms password is set, email when an SMTP host is, the phone when the originate user
    and the carrier's outbound address are."""
    phone = None
    if originator is not None and config.phone.outbound:
        phone = PhoneChannel(originator, config.recordings_dir, config.phone.outbound, config.phone.ring_s,
                             config.sms.sender)
    return Channels(
        sms=SmsGateway(kannel_settings(config)) if config.sms.sendsms_password else None,
        email=Mailer(mail_settings(config)) if config.email.host else None,
        phone=phone, public_url=config.dispatch.public_url)
