"""`permanence agents …`: agents' softphones and the queues they answer (store/agents.py, call for call).

Asterisk takes agents' softphones and the queues from the store when its configuration is written
(`permanence asterisk-config`, the sandbox's start). Logging in, out and pausing act on the running
Asterisk at once, as the AMI action user (ami/members.py), like the API and the phone's feature codes.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from ami.control import member_connection
from ami.members import AgentPresence, Presence
from dialplan import SIP_REALM
from dialplan.deploy import ControlError
from store import Store, agents, presence

from .cliutil import CLIError, add_command, add_group, in_store, store_db
from .config import Config


def _secret(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    secret = getpass.getpass("SIP password: ")
    if getpass.getpass("Again: ") != secret:
        raise CLIError("the two passwords differ")
    return secret


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    secret = _secret(args)
    with store_db(config) as db:
        try:
            agent = agents.add_agent(db, args.id, args.name, secret, SIP_REALM)
            for queue in args.queue:
                name, _, penalty = queue.partition(":")
                agents.add_member(db, name, agent.id, int(penalty) if penalty.isdigit() else 0)
        except agents.AgentError as exc:
            raise CLIError(str(exc)) from None
    print(f"agent {agent.id} {agent.name}" + (f", queues {', '.join(args.queue)}" if args.queue else ""))
    return 0


def _presence_text(login: presence.Login | None) -> str:
    if login is None:
        return "logged out"
    if login.paused:
        return f"paused ({login.pause_reason})" if login.pause_reason else "paused"
    return "logged in"


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        members: dict[str, list[str]] = {}
        for m in agents.list_members(db):
            members.setdefault(m.agent_id, []).append(f"{m.queue}:{m.penalty}")
        logins = {login.agent_id: login for login in presence.list_logins(db)}
        for agent in agents.list_agents(db):
            print(f"{agent.id}\t{agent.name}\t{_presence_text(logins.get(agent.id))}\t"
                  f"{' '.join(members.get(agent.id, []))}")
    return 0


def cmd_remove(config: Config, args: argparse.Namespace) -> int:
    in_store(config, lambda db: agents.remove_agent(db, args.id), agents.AgentError)
    print(f"agent {args.id} removed (and from its queues)")
    return 0


def cmd_join(config: Config, args: argparse.Namespace) -> int:
    in_store(config, lambda db: agents.add_member(db, args.queue, args.id, args.penalty), agents.AgentError)
    print(f"agent {args.id} answers queue {args.queue} (penalty {args.penalty})")
    return 0


def cmd_leave(config: Config, args: argparse.Namespace) -> int:
    in_store(config, lambda db: agents.remove_member(db, args.queue, args.id), agents.AgentError)
    print(f"agent {args.id} no longer answers queue {args.queue}")
    return 0


def _presence(config: Config, act: Callable[[AgentPresence], Awaitable[Presence]]) -> Presence:
    a = config.ami
    if not a.action_secret:
        raise CLIError("logging agents in needs the AMI action user: set [ami] action_secret")

    async def run() -> Presence:
        store = Store(config.store.path)
        await asyncio.to_thread(store.open)
        try:
            return await act(AgentPresence(store, lambda: member_connection(a.host, a.port, a.action_user,
                                                                         a.action_secret)))
        finally:
            await asyncio.to_thread(store.close)

    try:
        return asyncio.run(run())
    except (agents.AgentError, ControlError) as exc:
        raise CLIError(str(exc)) from None


def cmd_login(config: Config, args: argparse.Namespace) -> int:
    done = _presence(config, lambda p: p.login(args.id))
    print(f"agent {args.id} logged in to {', '.join(done.queues)}"
          + (f" (Asterisk has not got {', '.join(done.missing)} yet)" if done.missing else ""))
    return 0


def cmd_logout(config: Config, args: argparse.Namespace) -> int:
    _presence(config, lambda p: p.logout(args.id))
    print(f"agent {args.id} logged out")
    return 0


def cmd_pause(config: Config, args: argparse.Namespace) -> int:
    _presence(config, lambda p: p.pause(args.id, args.reason))
    print(f"agent {args.id} paused" + (f" ({args.reason})" if args.reason else ""))
    return 0


def cmd_unpause(config: Config, args: argparse.Namespace) -> int:
    _presence(config, lambda p: p.unpause(args.id))
    print(f"agent {args.id} ready")
    return 0


def cmd_reasons(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        for reason in presence.list_reasons(db):
            print(f"{reason.code}\t{reason.digit or '-'}\t{reason.label_fr}\t{reason.label_en}")
    return 0


def cmd_reason(config: Config, args: argparse.Namespace) -> int:
    reason = in_store(config, lambda db: presence.set_reason(db, args.code, args.fr, args.en, digit=args.digit),
                      agents.AgentError)
    print(f"{reason.code}\t{reason.digit or '-'}\t{reason.label_fr}\t{reason.label_en}")
    return 0


def cmd_reason_remove(config: Config, args: argparse.Namespace) -> int:
    in_store(config, lambda db: presence.remove_reason(db, args.code), agents.AgentError)
    print(f"pause reason {args.code} removed")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "agents", "agents' softphones and their queues")
    p = add_command(group, "add", cmd_add, "add an agent (SIP password read from the terminal or stdin)")
    p.add_argument("id", help="the agent's extension and SIP user name, 3 to 6 digits")
    p.add_argument("name", help="the name shown to callers and in statistics")
    p.add_argument("--queue", action="append", default=[], metavar="QUEUE[:PENALTY]",
                   help="a queue the agent answers (repeatable); a lower penalty is offered calls first")
    p.add_argument("--password-stdin", action="store_true", help="read the SIP password from stdin")
    add_command(group, "list", cmd_list, "list agents: id, name, logged in / paused (reason) / logged out, and "
                "their queues (QUEUE:PENALTY)")
    p = add_command(group, "remove", cmd_remove, "remove an agent and its queue memberships")
    p.add_argument("id")
    p = add_command(group, "join", cmd_join, "make an agent answer a queue (or change its penalty)")
    p.add_argument("id")
    p.add_argument("queue")
    p.add_argument("--penalty", type=int, default=0, help="0-100, lower is offered calls first (default 0)")
    p = add_command(group, "leave", cmd_leave, "stop an agent answering a queue")
    p.add_argument("id")
    p.add_argument("queue")
    for name, fn, text in (("login", cmd_login, "log an agent in to the queues it answers (on the running Asterisk)"),
                           ("logout", cmd_logout, "log an agent out of every queue"),
                           ("unpause", cmd_unpause, "make a paused agent ready again")):
        p = add_command(group, name, fn, text)
        p.add_argument("id")
    p = add_command(group, "pause", cmd_pause, "pause a logged-in agent (not ready), with a reason code")
    p.add_argument("id")
    p.add_argument("--reason", help="a pause reason code (`permanence agents reasons`)")
    add_command(group, "reasons", cmd_reasons, "list the pause reasons: code, phone digit, French and English labels")
    p = add_command(group, "reason", cmd_reason, "add or change a pause reason (live at once: the phone's *43N and "
                    "the API read it from the store)")
    p.add_argument("code", help="a-z, 0-9 and _, a letter first, 32 at most")
    p.add_argument("--fr", required=True, help="the French label (1-64 characters)")
    p.add_argument("--en", required=True, help="the English label (1-64 characters)")
    p.add_argument("--digit", help="the phone's digit: *43N pauses with this reason (0-9; none: API and CLI only)")
    p = add_command(group, "reason-remove", cmd_reason_remove, "remove a pause reason (refused while an agent is "
                    "paused with it)")
    p.add_argument("code")
