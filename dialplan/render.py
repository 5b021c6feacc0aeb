"""Render the configuration-dependent Asterisk include files next to etc/asterisk's static ones.

The static files #include these names; nothing here is hand-edited and nothing with a secret is in
git. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from store.queues import Queue

from .errors import RenderError
from .queues import QueueMember, definitions, music_classes, render_queues

ETC_ASTERISK = Path(__file__).resolve().parent.parent / "etc" / "asterisk"

# The listening AMI user reads calls, user events and agents, and may only ask for status (reporting:
# QueueStatus and CoreShowChannels after a reconnect). No system, command, config or originate class.
LISTENER_READ = ("call", "user", "agent")
LISTENER_WRITE = ("reporting",)
# The action user (the admin API's reload, dialplan.deploy; agents' logins, ami.members) receives no events
# and may send what a reload and its verification need: Reload is registered for `system` or `config`
# (either class opens it); `config` would also open UpdateConfig, which writes any file Asterisk reads,
# so `system`. QueueStatus and PJSIPShowEndpoints, which check that Asterisk took the files, need `system`
# or `reporting`. Agents log in, out and pause as app_queue's dynamic members: QueueAdd, QueueRemove and
# QueuePause are registered for `agent` alone, a class that opens queue and agent actions only (no
# command, originate or file).
ACTION_WRITE = ("system", "reporting", "agent")
# The originate user (a supervisor's softphone into ChanSpy: ami/originate.py) sends Originate and nothing
# else. A user of its own rather than the action user: with `system` as well, Originate may start System,
# Exec and the like (Asterisk asks for `system` only for those applications), so the action user
# holding `originate` could run any command; this one cannot. It reads no events.
ORIGINATE_WRITE = ("originate",)

_SAFE = re.compile(r"^[A-Za-z0-9_.@+-]+$")
_NETS = re.compile(r"^[0-9A-Fa-f.:/]+(,[0-9A-Fa-f.:/]+)*$")
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9_./-]*$")
_AGENT = re.compile(r"^[1-9][0-9]{2,5}$")
_NAME = re.compile(r"^[^,;\"'\[\]<>\\\r\n=]{1,64}$")
_HA1 = re.compile(r"^[0-9a-f]{32}$")
SIP_REALM = "permanence"  # the digest realm of agents' softphones (their HA1 is computed with it)


@dataclass(frozen=True)
class Softphone:
    user: str
    secret: str


@dataclass(frozen=True)
class AgentPhone:
    """An agent's softphone: its extension, the name callers' screens show, its SIP digest HA1."""
    id: str
    name: str
    sip_ha1: str


@dataclass(frozen=True)
class AsteriskSettings:
    sip_host: str
    sip_port: int
    rtp_start: int
    rtp_end: int
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str
    agi_host: str
    agi_port: int
    recordings_dir: str
    prompts_dir: str
    carrier_match: str = "127.0.0.1"
    external_address: str = ""
    local_net: str = ""
    fallback_queue: str = ""
    ami_action_user: str = ""  # with a secret: the manager user that reloads (no secret: none rendered)
    ami_action_secret: str = ""
    ami_originate_user: str = ""  # with a secret: the manager user that originates (no secret: none rendered)
    ami_originate_secret: str = ""
    queues: tuple[str, ...] = ()  # every queue the data names
    queue_definitions: tuple[Queue, ...] = ()  # the stored ones (other names take the defaults)
    softphones: tuple[Softphone, ...] = field(default=())
    agents: tuple[AgentPhone, ...] = field(default=())
    members: tuple[QueueMember, ...] = field(default=())


def _word(value: object, what: str) -> str:
    text = str(value)
    if not _SAFE.match(text):
        raise RenderError(f"{what}: {text!r} has characters Asterisk configuration cannot take")
    return text


def _path(value: str, what: str) -> str:
    if not _SAFE_PATH.match(value):
        raise RenderError(f"{what}: {value!r} must be an absolute path of letters, digits, _ . / -")
    return value.rstrip("/") or "/"


def queue_names(s: AsteriskSettings) -> list[str]:
    """Every queue queues_local.conf defines: the data's, the members', the fallback, the stored ones and
    those they overflow to."""
    return sorted(set(s.queues) | {m.queue for m in s.members} | ({s.fallback_queue} if s.fallback_queue else set())
                  | {q.name for q in s.queue_definitions}
                  | {q.overflow_target for q in s.queue_definitions if q.overflow_target})


def _action_user(s: AsteriskSettings) -> str:
    if not s.ami_action_secret:
        return ""
    user = _word(s.ami_action_user, "AMI action user")
    if user == s.ami_user:
        raise RenderError(f"AMI action user {user!r}: must differ from the listening user")
    return (f"\n[{user}]\nsecret = {_word(s.ami_action_secret, 'AMI action secret')}\n"
            f"deny = 0.0.0.0/0.0.0.0\npermit = {_word(s.ami_host, 'AMI host')}/255.255.255.255\n"
            f"read =\nwrite = {','.join(ACTION_WRITE)}\nwritetimeout = 1000\n")


def _originate_user(s: AsteriskSettings) -> str:
    if not s.ami_originate_secret:
        return ""
    user = _word(s.ami_originate_user, "AMI originate user")
    if user in (s.ami_user, s.ami_action_user):
        raise RenderError(f"AMI originate user {user!r}: must differ from the listening and the action users")
    return (f"\n[{user}]\nsecret = {_word(s.ami_originate_secret, 'AMI originate secret')}\n"
            f"deny = 0.0.0.0/0.0.0.0\npermit = {_word(s.ami_host, 'AMI host')}/255.255.255.255\n"
            f"read =\nwrite = {','.join(ORIGINATE_WRITE)}\nwritetimeout = 1000\n")


def render_local(s: AsteriskSettings, source_dir: Path = ETC_ASTERISK) -> dict[str, str]:
    """File name → text of every generated include (source_dir: the static files they go with)."""
    head = "; Generated by `permanence asterisk-config`: do not edit.\n"
    softphones = ""
    for phone in s.softphones:
        user, secret = _word(phone.user, "softphone user"), _word(phone.secret, "softphone secret")
        softphones += (
            f"\n[{user}](softphone)\nauth = {user}\naors = {user}\ncallerid = \"{user}\" <{user}>\n"
            f"\n[{user}]\ntype = auth\nauth_type = userpass\nusername = {user}\npassword = {secret}\n"
            f"\n[{user}](softphone-aor)\n"
        )
    softphones += "".join(_agent_phone(agent) for agent in s.agents)
    read = ",".join(LISTENER_READ)
    transport = f"bind = {_word(s.sip_host, 'SIP host')}:{int(s.sip_port)}\n"
    if s.external_address:
        address = _word(s.external_address, "external address")
        transport += f"external_media_address = {address}\nexternal_signaling_address = {address}\n"
    for net in filter(None, s.local_net.split(",")):
        if not _NETS.match(net.strip()):
            raise RenderError(f"local net: {net!r} is not an address or network")
        transport += f"local_net = {net.strip()}\n"
    carrier = s.carrier_match.split(",")
    if not all(_NETS.match(c.strip()) for c in carrier):
        raise RenderError(f"carrier match: {s.carrier_match!r} must be addresses or networks")
    queues = definitions(queue_names(s), s.queue_definitions, music_classes(source_dir / "musiconhold.conf"))
    rendered_queues = render_queues(queues, s.members, {a.id: a.name for a in s.agents}, head)
    return {
        **rendered_queues,
        "pjsip_transport.conf": head + transport,
        "pjsip_local.conf": head
        + "\n[carrier]\ntype = identify\nendpoint = carrier\n"
        + "".join(f"match = {c.strip()}\n" for c in carrier)
        + softphones,
        "rtp_local.conf": head + f"rtpstart = {int(s.rtp_start)}\nrtpend = {int(s.rtp_end)}\n",
        "manager_local.conf": head
        + f"bindaddr = {_word(s.ami_host, 'AMI host')}\nport = {int(s.ami_port)}\n",
        "manager_users.conf": head
        + f"\n[{_word(s.ami_user, 'AMI user')}]\nsecret = {_word(s.ami_secret, 'AMI secret')}\n"
        f"deny = 0.0.0.0/0.0.0.0\npermit = {_word(s.ami_host, 'AMI host')}/255.255.255.255\n"
        f"read = {read}\nwrite = {','.join(LISTENER_WRITE)}\nwritetimeout = 1000\n" + _action_user(s)
        + _originate_user(s),
        "extensions_local.conf": head
        + f"PERMANENCE_AGI = agi://{_word(s.agi_host, 'AGI host')}:{int(s.agi_port)}\n"
        f"PERMANENCE_RECORDINGS = {_path(s.recordings_dir, 'recordings dir')}\n"
        f"PERMANENCE_PROMPTS = {_path(s.prompts_dir, 'prompts dir')}\n"
        f"PERMANENCE_FALLBACK_QUEUE = {s.fallback_queue}\n",
    }


def _agent_phone(agent: AgentPhone) -> str:
    if not _AGENT.match(agent.id):
        raise RenderError(f"agent id {agent.id!r}: an extension of 3 to 6 digits")
    if not _NAME.match(agent.name):
        raise RenderError(f"agent {agent.id}: name {agent.name!r} has characters Asterisk configuration cannot take")
    if not _HA1.match(agent.sip_ha1):
        raise RenderError(f"agent {agent.id}: the SIP credential is not an HA1 digest")
    return (
        f"\n[{agent.id}](softphone)\nauth = {agent.id}\naors = {agent.id}\n"
        f"callerid = \"{agent.name}\" <{agent.id}>\n"
        f"\n[{agent.id}]\ntype = auth\nauth_type = md5\nusername = {agent.id}\nrealm = {SIP_REALM}\n"
        f"md5_cred = {agent.sip_ha1}\n"
        f"\n[{agent.id}](softphone-aor)\n"
    )


def _write_atomic(path: Path, text: str, mode: int = 0o640) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_config(settings: AsteriskSettings, out_dir: Path, source_dir: Path = ETC_ASTERISK) -> list[Path]:
    """The full /etc/asterisk for one instance: etc/asterisk's files plus the rendered includes."""
    generated = render_local(settings, source_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(source_dir.glob("*.conf")):
        if src.name in generated:
            raise RenderError(f"{src}: this name is generated; remove it from etc/asterisk")
        dst = out_dir / src.name
        shutil.copyfile(src, dst)
        written.append(dst)
    for name, text in generated.items():
        _write_atomic(out_dir / name, text)
        written.append(out_dir / name)
    return written
