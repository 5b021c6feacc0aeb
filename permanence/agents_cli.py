"""`permanence agents …`: agents' softphones and the queues they answer (store/agents.py, call for call).

Asterisk takes agents and members from the store when its configuration is written
(`permanence asterisk-config`, the sandbox's start).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from dialplan import SIP_REALM
from store import agents

from .cliutil import CLIError, add_command, add_group, store_db
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


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        members: dict[str, list[str]] = {}
        for m in agents.list_members(db):
            members.setdefault(m.agent_id, []).append(f"{m.queue}:{m.penalty}")
        for agent in agents.list_agents(db):
            print(f"{agent.id}\t{agent.name}\t{' '.join(members.get(agent.id, []))}")
    return 0


def cmd_remove(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        try:
            agents.remove_agent(db, args.id)
        except agents.AgentError as exc:
            raise CLIError(str(exc)) from None
    print(f"agent {args.id} removed (and from its queues)")
    return 0


def cmd_join(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        try:
            agents.add_member(db, args.queue, args.id, args.penalty)
        except agents.AgentError as exc:
            raise CLIError(str(exc)) from None
    print(f"agent {args.id} answers queue {args.queue} (penalty {args.penalty})")
    return 0


def cmd_leave(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        try:
            agents.remove_member(db, args.queue, args.id)
        except agents.AgentError as exc:
            raise CLIError(str(exc)) from None
    print(f"agent {args.id} no longer answers queue {args.queue}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "agents", "agents' softphones and their queues")
    p = add_command(group, "add", cmd_add, "add an agent (SIP password read from the terminal or stdin)")
    p.add_argument("id", help="the agent's extension and SIP user name, 3 to 6 digits")
    p.add_argument("name", help="the name shown to callers and in statistics")
    p.add_argument("--queue", action="append", default=[], metavar="QUEUE[:PENALTY]",
                   help="a queue the agent answers (repeatable); a lower penalty is offered calls first")
    p.add_argument("--password-stdin", action="store_true", help="read the SIP password from stdin")
    add_command(group, "list", cmd_list, "list agents with their queues (QUEUE:PENALTY)")
    p = add_command(group, "remove", cmd_remove, "remove an agent and its queue memberships")
    p.add_argument("id")
    p = add_command(group, "join", cmd_join, "make an agent answer a queue (or change its penalty)")
    p.add_argument("id")
    p.add_argument("queue")
    p.add_argument("--penalty", type=int, default=0, help="0-100, lower is offered calls first (default 0)")
    p = add_command(group, "leave", cmd_leave, "stop an agent answering a queue")
    p.add_argument("id")
    p.add_argument("queue")
