"""`permanence users …`: web accounts (store/users.py, call for call). Passwords are read from the
terminal (twice) or from stdin, hashed with scrypt; no command ever shows a hash."""

from __future__ import annotations

import argparse
import getpass
import sys

from store import users
from store.passwords import hash_password
from store.users import MIN_PASSWORD

from .cliutil import CLIError, add_command, add_group, store_db
from .config import Config


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CLIError("the two passwords differ")
    if len(password) < MIN_PASSWORD:
        raise CLIError(f"password too short ({MIN_PASSWORD} characters at least)")
    return password


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    if args.role == "client" and not args.client:
        raise CLIError("a client user needs --client CODE")
    if args.role == "agent" and not args.agent:
        raise CLIError("an agent user needs --agent ID")
    password_hash = hash_password(_read_password(args))
    with store_db(config) as db:
        user = users.add_user(db, args.login, password_hash, args.role, args.client, args.agent)
    print(f"user {user.login} ({user.role}{' of ' + user.client_code if user.client_code else ''}"
          f"{', phone ' + user.agent_id if user.agent_id else ''})")
    return 0


def cmd_passwd(config: Config, args: argparse.Namespace) -> int:
    password_hash = hash_password(_read_password(args))
    with store_db(config) as db:
        users.set_password(db, args.login, password_hash)
    print(f"password of {args.login} changed; its sessions and tokens are revoked")
    return 0


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        for user in users.list_users(db):
            print(f"{user.login}\t{user.role}\t{user.client_code or ''}\t{user.agent_id or ''}")
    return 0


def cmd_remove(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        users.remove_user(db, args.login)
    print(f"user {args.login} removed; its sessions and tokens are revoked")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "users", "manage web accounts (admin, supervisor, client, agent)")
    p = add_command(group, "add", cmd_add, "add a user (password read from the terminal or stdin)")
    p.add_argument("login")
    p.add_argument("--role", required=True, choices=users.ROLES,
                   help="admin: everything; supervisor: reads every client, changes nothing; client: its own; "
                        "agent: the calls that reach its softphone")
    p.add_argument("--client", help="client code (role client)")
    p.add_argument("--agent", help="agent id: the agent's softphone (role agent), or the one a supervisor or "
                                   "admin listens to calls on")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p = add_command(group, "passwd", cmd_passwd, "change a user's password and revoke its sessions and tokens")
    p.add_argument("login")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add_command(group, "list", cmd_list, "list users: login, role, client, agent id (never a hash)")
    p = add_command(group, "remove", cmd_remove, "remove a user and revoke its sessions and tokens")
    p.add_argument("login")
