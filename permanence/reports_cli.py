"""`permanence reports …`: a client's daily report (store/reports.py, with the admin API's checks) — its
settings, the reports made and their CSV."""

from __future__ import annotations

import argparse
import sys

from store import Scope, clients
from store import reports as daily
from store.clock import now_iso

from .cliutil import CLIError, add_command, add_group, store_db
from .config import Config


def _client(db, code: str) -> None:
    if clients.get_client(db, code) is None:
        raise CLIError(f"no client {code}")


def cmd_set(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        _client(db, args.client)
        settings = daily.set_settings(db, args.client, args.at, args.role or [], args.email or [], now=now_iso())
    print(f"client {settings.client_code}: daily report at {settings.at} (its time zone) to roles "
          f"{', '.join(settings.roles) or '-'} and addresses {', '.join(settings.emails) or '-'}")
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        _client(db, args.client)
        settings = daily.get_settings(db, args.client)
        if settings is None:
            print(f"client {args.client} has no daily report")
            return 0
        to = daily.recipients(db, settings)
    print(f"at\t{settings.at}\nroles\t{', '.join(settings.roles)}\nemails\t{', '.join(settings.emails)}\n"
          f"recipients now\t{', '.join(to) or '-'}\nlast run due\t{settings.last_due_at}")
    return 0


def cmd_off(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        _client(db, args.client)
        daily.remove_settings(db, args.client)
    print(f"client {args.client} has no daily report (the reports made are kept)")
    return 0


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    """One line per report, newest first: id, due, messages, status, recipients."""
    with store_db(config) as db:
        _client(db, args.client)
        found = daily.list_reports(db, Scope.everything(), args.client, limit=args.limit)
    for r in found:
        print(f"{r.id}\t{r.due_at}\t{r.messages}\t{r.status}\t{', '.join(r.recipients)}")
    return 0


def cmd_csv(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        found = daily.report_csv(db, Scope.client(args.client), args.id)
    if found is None:
        raise CLIError(f"client {args.client} has no report {args.id}")
    sys.stdout.write(found[1])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "reports", "a client's daily report: when, to whom, and the reports made")
    p = add_command(group, "set", cmd_set, "send a client's daily report at a local time (HH:MM, its time zone)")
    p.add_argument("client")
    p.add_argument("at", help="HH:MM, the client's local time")
    p.add_argument("--role", action="append", help="contacts with this role receive it (repeatable, any case)")
    p.add_argument("--email", action="append", help="this address receives it (repeatable)")
    p = add_command(group, "show", cmd_show, "print a client's daily report settings and its recipients now")
    p.add_argument("client")
    p = add_command(group, "off", cmd_off, "stop a client's daily report")
    p.add_argument("client")
    p = add_command(group, "list", cmd_list, "list the daily reports made for a client, newest first")
    p.add_argument("client")
    p.add_argument("--limit", type=int, default=30)
    p = add_command(group, "csv", cmd_csv, "print a daily report's CSV, as it was emailed")
    p.add_argument("client")
    p.add_argument("id", type=int)
