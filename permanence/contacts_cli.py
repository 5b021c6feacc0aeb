"""`permanence contacts …`: a client's directory and InfoPages (store/contacts.py, store/infopages.py,
call for call, with the admin API's checks); its on-call schedules are `permanence oncall …`
(permanence/oncall_cli.py).

Numbers typed without their country code are read in the configuration's `[phone] default_region`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from store import clients, contacts, infopages

from .cliutil import CLIError, add_command, add_group, store_db
from .config import Config

EDITABLE = ("name", "role", "mobile", "office", "email", "language")


def _fields(args: argparse.Namespace) -> dict[str, object]:
    fields: dict[str, object] = {k: getattr(args, k) for k in EDITABLE if getattr(args, k, None) is not None}
    if args.sms is not None:
        fields["sms"] = args.sms
    return fields


def contact_line(c: contacts.Contact) -> str:
    return "\t".join([str(c.id), c.name, c.role, c.mobile or "", c.office or "", c.email or "",
                      "sms" if c.sms else "", c.language])


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    fields = _fields(args)
    with store_db(config) as db:
        contact = contacts.add_contact(db, args.client, fields.pop("name", args.name),
                                       default_region=config.phone.default_region, **fields)
    print(contact_line(contact))
    return 0


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        if clients.get_client(db, args.client) is None:
            raise CLIError(f"no client {args.client}")
        for contact in contacts.list_contacts(db, args.client):
            print(contact_line(contact))
    return 0


def cmd_set(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        contact = contacts.update_contact(db, args.client, args.id, default_region=config.phone.default_region,
                                          **_fields(args))
    print(contact_line(contact))
    return 0


def cmd_remove(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        contacts.remove_contact(db, args.client, args.id)
    print(f"contact {args.id} of client {args.client} removed")
    return 0


def cmd_infopages(config: Config, args: argparse.Namespace) -> int:
    """Print the InfoPages as JSON, or replace them from a JSON file (`-` for stdin) of the same shape."""
    with store_db(config) as db:
        if args.set:
            text = sys.stdin.read() if args.set == "-" else Path(args.set).read_text("utf-8")
            try:
                given = json.loads(text)
            except ValueError as exc:
                raise CLIError(f"{args.set}: not JSON ({exc})") from None
            sections = infopages.parse_sections(given.get("sections") if isinstance(given, dict) else given)
            kept = infopages.set_infopages(db, args.client, sections)
        else:
            if clients.get_client(db, args.client) is None:
                raise CLIError(f"no client {args.client}")
            kept = infopages.list_infopages(db, args.client)
    print(json.dumps({"sections": [infopages.section_json(s) for s in kept]}, ensure_ascii=False, indent=2))
    return 0


def _contact_options(p: argparse.ArgumentParser, *, name: bool) -> None:
    if name:
        p.add_argument("--name")
    p.add_argument("--role")
    p.add_argument("--mobile", help="any usual form; kept in E.164 (empty: none)")
    p.add_argument("--office", help="any usual form; kept in E.164 (empty: none)")
    p.add_argument("--email", help="(empty: none)")
    p.add_argument("--sms", action=argparse.BooleanOptionalAction, default=None,
                   help="the contact receives SMS (needs a mobile)")
    p.add_argument("--language", choices=["fr", "en"])


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "contacts", "a client's directory and InfoPages")
    p = add_command(group, "add", cmd_add, "add a contact; prints it (id, name, role, mobile, office, email, sms, "
                                           "language)")
    p.add_argument("client")
    p.add_argument("name")
    _contact_options(p, name=False)
    p = add_command(group, "list", cmd_list, "list a client's contacts, tab-separated")
    p.add_argument("client")
    p = add_command(group, "set", cmd_set, "change a contact's fields")
    p.add_argument("client")
    p.add_argument("id", type=int)
    _contact_options(p, name=True)
    p = add_command(group, "remove", cmd_remove, "remove a contact (not while on call in the rotation or an override)")
    p.add_argument("client")
    p.add_argument("id", type=int)
    p = add_command(group, "infopages", cmd_infopages, "print a client's InfoPages as JSON, or replace them (--set)")
    p.add_argument("client")
    p.add_argument("--set", metavar="FILE", help='a JSON file {"sections": [...]} as the API takes (- for stdin)')
