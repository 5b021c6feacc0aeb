"""Configuration, layered: defaults → permanence.toml → PERMANENCE_<SECTION>_<KEY> environment.

Every key lives in a section; the environment name of `[ami] secret` is PERMANENCE_AMI_SECRET.
A bad file or value raises ConfigError naming where it came from.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .config_dispatch import DispatchConfig, EmailConfig, SmsConfig

ENV_PREFIX = "PERMANENCE_"
CONFIG_ENV = "PERMANENCE_CONFIG"
MODES = ("production", "demo")


class ConfigError(ValueError):
    """The configuration is unusable; the message says which key, from where, and why."""


@dataclass(frozen=True)
class StoreConfig:
    path: str = "var/permanence.sqlite3"


@dataclass(frozen=True)
class AgiConfig:
    host: str = "127.0.0.1"
    port: int = 4573
    header_timeout: float = 5.0
    command_timeout: float = 30.0
    max_sessions: int = 500


@dataclass(frozen=True)
class AmiConfig:
    host: str = "127.0.0.1"
    port: int = 5038
    user: str = "permanence"
    secret: str = ""
    ping_interval: float = 10.0
    # Seconds between two reconciliations with CEL (besides those at start and at each connection); 0 = off.
    reconcile_interval: float = 60.0
    # The manager user the admin API reloads Asterisk with (write = system,reporting; no events), on a
    # connection of its own; never the listener's. No secret: no such user, no reload.
    action_user: str = "permanence-admin"
    action_secret: str = ""
    # The manager user that originates calls (write = originate only; no events): a supervisor's
    # softphone into ChanSpy. No secret: no such user, no listening from the API.
    originate_user: str = "permanence-originate"
    originate_secret: str = ""


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    token_ttl_hours: int = 12
    # The scrape token /metrics asks for (Authorization: Bearer …); empty: /metrics is off.
    metrics_token: str = ""
    # Browser sessions end after this long unused, and after session_lifetime_hours whatever happens.
    session_idle_minutes: int = 30
    session_lifetime_hours: int = 12
    # Failed logins allowed per account and per client address within the sliding window; then 429.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_minutes: int = 15
    # The TLS reverse proxy (addresses or networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; empty: the peer is the client.
    trusted_proxies: str = ""


@dataclass(frozen=True)
class PathsConfig:
    recordings: str = "var/recordings"
    prompts: str = "svi_prompts"


@dataclass(frozen=True)
class PhoneConfig:
    default_region: str = "CA"
    # Where the carrier takes the calls we place (host or host:port; a dispatch step's call to a contact):
    # Asterisk dials sip:<number>@<outbound> from its carrier endpoint. Empty: no call is placed.
    outbound: str = ""
    ring_s: int = 30  # how long a contact's phone rings before the step counts it unanswered
    # The number the on-call contact sees when a caller is put through (agi/routes/oncall.py): did (the
    # client's number) or caller (the caller's own; the DID when they withheld it).
    oncall_caller_id: str = "did"


@dataclass(frozen=True)
class IvrConfig:
    # Where a call goes when the back end fails it: a queue name, or '' for the "call back later" prompt.
    fallback_queue: str = ""
    team_leader_queue: str = "team-leaders"
    checkin_attempts: int = 3
    checkin_lock_after: int = 5
    checkin_lock_minutes: int = 15


@dataclass(frozen=True)
class CallbackConfig:
    """Callbacks (originated on the [ami] originate user's connections; without its secret, none is
    offered): how the caller is reached once their queue's agent answered, and the retries."""

    # The Dial() string that reaches a caller, {number} their E.164 number; empty: through [phone]
    # outbound, as the other calls the back end places (neither: no callback is offered).
    dial: str = ""
    ring_s: int = 30  # the caller's phone rings this long
    agent_ring_s: int = 20  # the agent's phone rings this long
    max_attempts: int = 3  # attempts that dial the caller
    retry_after_s: int = 120  # before the 2nd attempt; the 3rd waits twice as long
    interval_s: float = 2.0  # how often the back end looks for callbacks to make


@dataclass(frozen=True)
class AsteriskConfig:
    """What the Asterisk side needs that the back end also knows (rendered by dialplan/)."""

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    # The carrier's signalling address(es): calls from there are calls to the clients' DIDs.
    carrier_match: str = "127.0.0.1"
    # Behind NAT: the public address to advertise and the networks that are local (both optional).
    external_address: str = ""
    local_net: str = ""
    rtp_start: int = 10000
    rtp_end: int = 10199
    # The same directories as [paths], as Asterisk sees them (bind mounts or shared volumes).
    recordings_dir: str = "/srv/permanence/recordings"
    prompts_dir: str = "/srv/permanence/prompts"
    softphone_user: str = "agent1"
    softphone_secret: str = ""
    # Asterisk's CEL database (etc/asterisk/cel_sqlite3_custom.conf) as the back end sees it: read-only,
    # to rebuild the calls the AMI listener missed. The default is the sandbox's log directory.
    cel_db: str = "var/asterisk/log/permanence-cel.db"
    # Asterisk's configuration directory as the back end sees it, where POST /api/admin/asterisk/reload
    # writes the generated includes; empty: the reload is off (the sandbox's: var/asterisk/etc).
    config_dir: str = ""


@dataclass(frozen=True)
class Config:
    mode: str = "production"
    store: StoreConfig = field(default_factory=StoreConfig)
    agi: AgiConfig = field(default_factory=AgiConfig)
    ami: AmiConfig = field(default_factory=AmiConfig)
    web: WebConfig = field(default_factory=WebConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    phone: PhoneConfig = field(default_factory=PhoneConfig)
    asterisk: AsteriskConfig = field(default_factory=AsteriskConfig)
    ivr: IvrConfig = field(default_factory=IvrConfig)
    callback: CallbackConfig = field(default_factory=CallbackConfig)
    sms: SmsConfig = field(default_factory=SmsConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    source: str = "defaults"

    @property
    def recordings_dir(self) -> Path:
        return Path(self.paths.recordings)

    @property
    def prompts_dir(self) -> Path:
        return Path(self.paths.prompts)


_SECTIONS = {f.name: f.type for f in fields(Config) if f.name not in ("mode", "source")}


def _section_class(name: str) -> type:
    return {
        "store": StoreConfig,
        "agi": AgiConfig,
        "ami": AmiConfig,
        "web": WebConfig,
        "paths": PathsConfig,
        "phone": PhoneConfig,
        "asterisk": AsteriskConfig,
        "ivr": IvrConfig,
        "callback": CallbackConfig,
        "sms": SmsConfig,
        "email": EmailConfig,
        "dispatch": DispatchConfig,
    }[name]


def _coerce(value: Any, kind: type, where: str) -> Any:
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is int and isinstance(value, bool):
            raise ValueError(value)
        if kind is int and isinstance(value, float):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def _field_types(cls: type) -> dict[str, type]:
    hints = {"str": str, "int": int, "float": float, "bool": bool}
    return {f.name: hints[str(f.type)] for f in fields(cls)}


def load(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the configuration: defaults, then the TOML file, then the environment."""
    env = os.environ if env is None else env
    if path is None:
        path = env.get(CONFIG_ENV) or ("permanence.toml" if Path("permanence.toml").exists() else None)
    raw: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: configuration file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
        source = str(p)

    mode = raw.pop("mode", "production")
    values: dict[str, dict[str, Any]] = {}
    for key, table in raw.items():
        if key not in _SECTIONS:
            raise ConfigError(f"{source}: unknown section or key {key!r}")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{key}] must be a table")
        types = _field_types(_section_class(key))
        for name, value in table.items():
            if name not in types:
                raise ConfigError(f"{source}: unknown key {name!r} in [{key}]")
            values.setdefault(key, {})[name] = _coerce(value, types[name], f"{source}: [{key}] {name}")

    if f"{ENV_PREFIX}MODE" in env:
        mode = env[f"{ENV_PREFIX}MODE"]
    for section in _SECTIONS:
        types = _field_types(_section_class(section))
        for name, kind in types.items():
            var = f"{ENV_PREFIX}{section.upper()}_{name.upper()}"
            if var in env:
                values.setdefault(section, {})[name] = _coerce(env[var], kind, f"environment {var}")

    config = Config(
        mode=str(mode),
        source=source,
        **{s: _section_class(s)(**values.get(s, {})) for s in _SECTIONS},
    )
    validate(config)
    return config


def replace(config: Config, **sections: dict[str, Any]) -> Config:
    """A copy of config with some keys of some sections changed (tests, demo)."""
    changed = {s: dataclasses.replace(getattr(config, s), **kv) for s, kv in sections.items()}
    return dataclasses.replace(config, **changed)


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
