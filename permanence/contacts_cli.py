"""`permanence contacts …` and `permanence oncall …`: a client's directory, InfoPages and on-call schedule
(store/contacts.py, store/infopages.py, store/oncall.py, call for call, with the admin API's checks).

Numbers typed without their country code are read in the configuration's `[phone] default_region`.
Times without an offset are the client's local time.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from store import clients, contacts, infopages
from store import oncall as store_oncall
from store.clock import iso
from web.query import parse_instant

from .cliutil import CLIError, add_command, add_group, store_db
from .config import Config

EDITABLE = ("name", "role", "mobile", "office", "email", "language")


def _fields(args: argparse.Namespace) -> dict[str, object]:
    fields: dict[str, object] = {k: getattr(args, k) for k in EDITABLE if getattr(args, k, None) is not None}
    if args.sms is not None:
        fields["sms"] = args.sms
    return fields


def _line(c: contacts.Contact) -> str:
    return "\t".join([str(c.id), c.name, c.role, c.mobile or "", c.office or "", c.email or "",
                      "sms" if c.sms else "", c.language])


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    fields = _fields(args)
    with store_db(config) as db:
        contact = contacts.add_contact(db, args.client, fields.pop("name", args.name),
                                       default_region=config.phone.default_region, **fields)
    print(_line(contact))
    return 0


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        if clients.get_client(db, args.client) is None:
            raise CLIError(f"no client {args.client}")
        for contact in contacts.list_contacts(db, args.client):
            print(_line(contact))
    return 0


def cmd_set(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        contact = contacts.update_contact(db, args.client, args.id, default_region=config.phone.default_region,
                                          **_fields(args))
    print(_line(contact))
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


def _instant(text: str, zone: ZoneInfo, what: str) -> datetime:
    try:
        return parse_instant(text, zone)
    except ValueError:
        raise CLIError(f"{what}: not a date or time (ISO 8601, e.g. 2026-01-31T08:00), got {text!r}") from None


def _zone(db, code: str) -> ZoneInfo:
    client = clients.get_client(db, code)
    if client is None:
        raise CLIError(f"no client {code}")
    return ZoneInfo(client.timezone)


def cmd_rotation(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        r = store_oncall.set_rotation(db, args.client, args.period, args.handover, args.starts_on, args.contacts)
    print(f"client {args.client}: {r.period} from {r.starts_on} at {r.handover:%H:%M} {r.timezone}, "
          f"contacts {' '.join(map(str, r.contacts))}")
    return 0


def cmd_override(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        zone = _zone(db, args.client)
        o = store_oncall.add_override(db, args.client, args.contact, _instant(args.start, zone, "from"),
                                      _instant(args.end, zone, "to"), args.reason, args.note)
    print(f"override {o.id}: contact {o.contact_id} from {iso(o.start)} to {iso(o.end)} ({o.reason})")
    return 0


def cmd_unoverride(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        store_oncall.remove_override(db, args.client, args.id)
    print(f"override {args.id} of client {args.client} removed")
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    """The rotation, then one line per override (id, from, to in the client's time zone, contact, reason, note)."""
    with store_db(config) as db:
        zone = _zone(db, args.client)
        schedule = store_oncall.schedule(db, args.client)
        people = contacts.contacts_by_id(db, args.client)
    r = schedule.rotation
    print(f"rotation: {r.period} from {r.starts_on} at {r.handover:%H:%M} {r.timezone}, contacts "
          f"{' '.join(f'{c}:{people[c].name}' if c in people else str(c) for c in r.contacts)}"
          if r else "rotation: none")
    for o in schedule.overrides:
        name = people[o.contact_id].name if o.contact_id in people else str(o.contact_id)
        print(f"{o.id}\t{o.start.astimezone(zone):%Y-%m-%d %H:%M %Z}\t{o.end.astimezone(zone):%Y-%m-%d %H:%M %Z}\t"
              f"{o.contact_id}:{name}\t{o.reason}\t{o.note}")
    return 0


def cmd_who(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        at = _instant(args.at, _zone(db, args.client), "--at") if args.at else datetime.now(UTC)
        contact = store_oncall.who_is_on_call(db, args.client, at)
    print(_line(contact) if contact else f"nobody is on call for client {args.client} at {iso(at)}")
    return 0 if contact else 1


def cmd_shifts(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        zone = _zone(db, args.client)
        start = _instant(args.start, zone, "--from") if args.start else datetime.now(UTC)
        found = store_oncall.schedule(db, args.client).next_segments(start, args.count)
        people = contacts.contacts_by_id(db, args.client)
    for s in found:
        who = people[s.contact].name if s.contact in people else "-"
        source = f"override {s.override}" if s.override is not None else f"shift {s.shift}" \
            if s.shift is not None else "nobody"
        print(f"{s.start.astimezone(zone):%Y-%m-%d %H:%M %Z}\t{s.end.astimezone(zone):%Y-%m-%d %H:%M %Z}\t"
              f"{who}\t{source}")
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

    group = add_group(sub, "oncall", "a client's on-call rotation and overrides")
    p = add_command(group, "rotation", cmd_rotation, "set the client's rotation (replaces the previous one)")
    p.add_argument("client")
    p.add_argument("period", choices=["daily", "weekly", "monthly"])
    p.add_argument("handover", help="local time HH:MM")
    p.add_argument("starts_on", help="local date of the first shift, YYYY-MM-DD")
    p.add_argument("contacts", type=int, nargs="+", help="contact ids in rotation order")
    p = add_command(group, "override", cmd_override, "put a contact on call over [from, to)")
    p.add_argument("client")
    p.add_argument("contact", type=int)
    p.add_argument("start", metavar="from", help="ISO 8601; without an offset, the client's local time")
    p.add_argument("end", metavar="to")
    p.add_argument("--reason", default="swap", choices=list(store_oncall.REASONS))
    p.add_argument("--note", default="")
    p = add_command(group, "unoverride", cmd_unoverride, "remove an override")
    p.add_argument("client")
    p.add_argument("id", type=int)
    p = add_command(group, "show", cmd_show, "the client's rotation and its overrides (with their ids)")
    p.add_argument("client")
    p = add_command(group, "who", cmd_who, "who is on call (now, or --at); exit status 1 when nobody is")
    p.add_argument("client")
    p.add_argument("--at")
    p = add_command(group, "shifts", cmd_shifts, "the next shifts, in the client's time zone")
    p.add_argument("client")
    p.add_argument("--from", dest="start")
    p.add_argument("--count", type=int, default=10)
