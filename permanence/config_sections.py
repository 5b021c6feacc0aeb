"""The configuration's sections, one frozen dataclass each, with their defaults and what each key is for
(permanence.config reads them, permanence.config_checks checks them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config_dispatch import DispatchConfig, EmailConfig, SmsConfig

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
