"""Checks of a whole configuration: ports, private addresses for AMI and FastAGI, secrets present and
well formed in production, each section's ranges. Each failure is a ConfigError naming the key."""

from __future__ import annotations

import ipaddress
import re

from .config_sections import MODES, CallbackConfig, Config, ConfigError


def _check_port(value: int, where: str) -> None:
    if not 1 <= value <= 65535:
        raise ConfigError(f"{where}: port {value} is out of range 1-65535")


def _check_not_public(host: str, where: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ConfigError(f"{where}: {host!r} must be an IP address on loopback or a private network") from None
        return
    if address.is_global or address.is_unspecified:
        raise ConfigError(f"{where}: {host} is a public or wildcard address; AMI and FastAGI stay private")


def validate(config: Config) -> None:
    where = config.source
    if config.mode not in MODES:
        raise ConfigError(f"{where}: mode must be one of {', '.join(MODES)}, got {config.mode!r}")
    for name, port in (
        ("[agi] port", config.agi.port),
        ("[ami] port", config.ami.port),
        ("[web] port", config.web.port),
        ("[asterisk] sip_port", config.asterisk.sip_port),
        ("[asterisk] rtp_start", config.asterisk.rtp_start),
        ("[asterisk] rtp_end", config.asterisk.rtp_end),
    ):
        _check_port(port, f"{where}: {name}")
    if config.asterisk.rtp_end <= config.asterisk.rtp_start:
        raise ConfigError(f"{where}: [asterisk] rtp_end must be above rtp_start")
    _check_not_public(config.ami.host, f"{where}: [ami] host")
    _check_not_public(config.agi.host, f"{where}: [agi] host")
    if config.mode == "production":
        missing = [
            name
            for name, value in (
                ("[ami] secret (PERMANENCE_AMI_SECRET)", config.ami.secret),
                ("[asterisk] softphone_secret (PERMANENCE_ASTERISK_SOFTPHONE_SECRET)",
                 config.asterisk.softphone_secret),
            )
            if not value
        ]
        if config.asterisk.config_dir and not config.ami.action_secret:
            missing.append("[ami] action_secret (PERMANENCE_AMI_ACTION_SECRET), as [asterisk] config_dir turns the "
                           "reload on")
        if missing:
            raise ConfigError(f"{where}: production mode needs a secret for {', '.join(missing)}")
    if config.ami.action_secret and config.ami.action_user == config.ami.user:
        raise ConfigError(f"{where}: [ami] action_user must differ from [ami] user (the listener's, read-only)")
    if config.ami.originate_secret and config.ami.originate_user in (config.ami.user, config.ami.action_user):
        raise ConfigError(f"{where}: [ami] originate_user must differ from [ami] user and action_user "
                          "(each manager user holds only its own classes)")
    _check_callback(config.callback, where)
    for name, secret in (("[ami] secret", config.ami.secret), ("[ami] action_secret", config.ami.action_secret),
                         ("[ami] originate_secret", config.ami.originate_secret),
                         ("[asterisk] softphone_secret", config.asterisk.softphone_secret)):
        if secret and len(secret) < 12:
            raise ConfigError(f"{where}: {name} is too short (12 characters at least)")
        if any(c in secret for c in "\r\n;[]"):
            raise ConfigError(f"{where}: {name} must not contain newlines, ';' or brackets")
    token = config.web.metrics_token
    if token and (len(token) < 32 or not token.isascii() or not token.isprintable() or " " in token):
        raise ConfigError(f"{where}: [web] metrics_token must be 32 printable ASCII characters at least, "
                          "without spaces")
    for name, queue in (("fallback_queue", config.ivr.fallback_queue),
                        ("team_leader_queue", config.ivr.team_leader_queue)):
        if queue and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", queue):
            raise ConfigError(f"{where}: [ivr] {name} {queue!r} is not a queue name (a-z, 0-9, -)")
    for name, value in (("checkin_attempts", config.ivr.checkin_attempts),
                        ("checkin_lock_after", config.ivr.checkin_lock_after),
                        ("checkin_lock_minutes", config.ivr.checkin_lock_minutes)):
        if value < 1:
            raise ConfigError(f"{where}: [ivr] {name} must be at least 1")
    for name in ("token_ttl_hours", "session_idle_minutes", "session_lifetime_hours",
                 "login_failures_per_account", "login_failures_per_address", "login_window_minutes"):
        if getattr(config.web, name) < 1:
            raise ConfigError(f"{where}: [web] {name} must be at least 1")
    for proxy in filter(None, (p.strip() for p in config.web.trusted_proxies.split(","))):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"{where}: [web] trusted_proxies: {proxy!r} is not an address or network") from None
    if config.ami.reconcile_interval < 0:
        raise ConfigError(f"{where}: [ami] reconcile_interval must be 0 (off) or a number of seconds")
    if not config.phone.default_region.isalpha() or len(config.phone.default_region) != 2:
        raise ConfigError(f"{where}: [phone] default_region must be a two-letter region code")
    _validate_dispatch(config, where)
    if config.phone.outbound and not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?", config.phone.outbound):
        raise ConfigError(f"{where}: [phone] outbound must be a host or host:port, got {config.phone.outbound!r}")
    if not 5 <= config.phone.ring_s <= 120:
        raise ConfigError(f"{where}: [phone] ring_s must be from 5 to 120 seconds")
    if config.phone.oncall_caller_id not in ("did", "caller"):
        raise ConfigError(f"{where}: [phone] oncall_caller_id must be did or caller, "
                          f"got {config.phone.oncall_caller_id!r}")


def _validate_dispatch(config: Config, where: str) -> None:
    sms, email = config.sms, config.email
    for name in ("sendsms_port", "admin_port", "smsbox_port", "fake_port", "smpp_port"):
        _check_port(getattr(sms, name), f"{where}: [sms] {name}")
    _check_port(email.port, f"{where}: [email] port")
    _check_not_public(sms.host, f"{where}: [sms] host")
    if sms.smsc not in ("fake", "smpp"):
        raise ConfigError(f"{where}: [sms] smsc must be fake or smpp, got {sms.smsc!r}")
    if sms.sendsms_password:
        missing = [name for name in ("sender", "admin_password", "inbound_token") if not getattr(sms, name)]
        if sms.smsc == "smpp":
            missing += [name for name in ("smpp_host", "smpp_system_id", "smpp_password") if not getattr(sms, name)]
        if missing:
            raise ConfigError(f"{where}: [sms] sending SMS needs {', '.join(missing)} too")
    for name in ("sendsms_password", "admin_password", "inbound_token", "smpp_password"):
        secret = getattr(sms, name)
        if secret and (len(secret) < 12 or not secret.isascii() or not secret.isalnum()):
            raise ConfigError(f"{where}: [sms] {name} must be 12 letters or digits at least (it goes into URLs "
                              "and Kannel's configuration)")
    if sms.delivery_url and (not sms.delivery_url.startswith(("http://", "https://"))
                             or any(c in sms.delivery_url for c in "?#%")):
        raise ConfigError(f"{where}: [sms] delivery_url must be an http:// or https:// URL without a query "
                          f"(the token, the attempt and Kannel's %d and %A are added), got {sms.delivery_url!r}")
    if email.security not in ("starttls", "tls", "none"):
        raise ConfigError(f"{where}: [email] security must be starttls, tls or none, got {email.security!r}")
    if email.host and "@" not in email.sender:
        raise ConfigError(f"{where}: [email] sender must be an email address when [email] host is set")
    if not config.dispatch.public_url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: [dispatch] public_url must start with http:// or https://")
    if config.dispatch.poll_interval <= 0:
        raise ConfigError(f"{where}: [dispatch] poll_interval must be a positive number of seconds")


def _check_callback(c: CallbackConfig, where: str) -> None:
    if c.dial and (c.dial.count("{number}") != 1 or not re.fullmatch(r"[A-Za-z0-9_./:@+{}-]{1,200}", c.dial)):
        raise ConfigError(f"{where}: [callback] dial must be a Dial() string with {{number}} once, of letters, "
                          f"digits and _ . / : @ + -, got {c.dial!r}")
    for name, value, low, high in (("ring_s", c.ring_s, 5, 300), ("agent_ring_s", c.agent_ring_s, 5, 300),
                                   ("max_attempts", c.max_attempts, 1, 10),
                                   ("retry_after_s", c.retry_after_s, 10, 86400)):
        if not low <= value <= high:
            raise ConfigError(f"{where}: [callback] {name} must be from {low} to {high}, got {value}")
    if not 0.2 <= c.interval_s <= 60:
        raise ConfigError(f"{where}: [callback] interval_s must be from 0.2 to 60 seconds, got {c.interval_s}")
