"""`permanence oncall …`: a client's on-call schedules (store/oncall_schedules.py) and, in each, the
rotation and overrides (store/oncall.py), call for call, with the admin API's checks. Every command on a
rotation or overrides takes `--schedule NAME`; without it, the client's `default` schedule.

Times without an offset are the client's local time.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from store import clients, contacts, oncall_schedules
from store import oncall as store_oncall
from store.clock import iso
from web.query import parse_instant

from .cliutil import CLIError, add_command, add_group, store_db
from .config import Config
from .contacts_cli import contact_line


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


def _in(args: argparse.Namespace) -> str:
    """How a line names the schedule: nothing for `default`."""
    return "" if args.schedule == oncall_schedules.DEFAULT else f" schedule {args.schedule}"


def cmd_schedules(config: Config, args: argparse.Namespace) -> int:
    """One line per schedule: name, label, what names it."""
    with store_db(config) as db:
        _zone(db, args.client)
        found = [(s, oncall_schedules.users(db, args.client, s.name))
                 for s in oncall_schedules.list_schedules(db, args.client)]
    for schedule, used_by in found:
        print(f"{schedule.name}\t{schedule.label}\t{', '.join(used_by)}")
    return 0


def cmd_schedule_add(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        s = oncall_schedules.add_schedule(db, args.client, args.name, args.label)
    print(f"client {args.client}: on-call schedule {s.name} added" + (f" ({s.label})" if s.label else ""))
    return 0


def cmd_schedule_label(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        s = oncall_schedules.relabel_schedule(db, args.client, args.name, args.label)
    print(f"client {args.client}: on-call schedule {s.name} is now labelled {s.label!r}")
    return 0


def cmd_schedule_remove(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        oncall_schedules.remove_schedule(db, args.client, args.name)
    print(f"client {args.client}: on-call schedule {args.name} removed with its rotation and overrides")
    return 0


def cmd_rotation(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        r = store_oncall.set_rotation(db, args.client, args.period, args.handover, args.starts_on, args.contacts,
                                      args.schedule)
    print(f"client {args.client}{_in(args)}: {r.period} from {r.starts_on} at {r.handover:%H:%M} {r.timezone}, "
          f"contacts {' '.join(map(str, r.contacts))}")
    return 0


def cmd_override(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        zone = _zone(db, args.client)
        o = store_oncall.add_override(db, args.client, args.contact, _instant(args.start, zone, "from"),
                                      _instant(args.end, zone, "to"), args.reason, args.note, args.schedule)
    print(f"override {o.id}: contact {o.contact_id} from {iso(o.start)} to {iso(o.end)} ({o.reason})")
    return 0


def cmd_unoverride(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        store_oncall.remove_override(db, args.client, args.id, args.given_schedule)
    print(f"override {args.id} of client {args.client} removed")
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    """The rotation, then one line per override (id, from, to in the client's time zone, contact, reason, note)."""
    with store_db(config) as db:
        zone = _zone(db, args.client)
        schedule = store_oncall.schedule(db, args.client, args.schedule)
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
        oncall_schedules.require(db, args.client, args.schedule)
        contact = store_oncall.who_is_on_call(db, args.client, at, args.schedule)
    print(contact_line(contact) if contact else
          f"nobody is on call for client {args.client}{_in(args)} at {iso(at)}")
    return 0 if contact else 1


def cmd_shifts(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        zone = _zone(db, args.client)
        start = _instant(args.start, zone, "--from") if args.start else datetime.now(UTC)
        found = store_oncall.schedule(db, args.client, args.schedule).next_segments(start, args.count)
        people = contacts.contacts_by_id(db, args.client)
    for s in found:
        who = people[s.contact].name if s.contact in people else "-"
        source = f"override {s.override}" if s.override is not None else f"shift {s.shift}" \
            if s.shift is not None else "nobody"
        print(f"{s.start.astimezone(zone):%Y-%m-%d %H:%M %Z}\t{s.end.astimezone(zone):%Y-%m-%d %H:%M %Z}\t"
              f"{who}\t{source}")
    return 0


def _schedule_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--schedule", default=oncall_schedules.DEFAULT, metavar="NAME",
                   help=f"one of the client's on-call schedules (default: {oncall_schedules.DEFAULT})")


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "oncall", "a client's on-call schedules: their rotation and overrides")
    p = add_command(group, "schedules", cmd_schedules, "list the client's schedules (name, label, what names it)")
    p.add_argument("client")
    p = add_command(group, "schedule-add", cmd_schedule_add, "add a schedule (then set its rotation)")
    p.add_argument("client")
    p.add_argument("name", help="a-z, 0-9 and -, 32 at most: what menus, queues and protocols name")
    p.add_argument("--label", default="", help="a name for people")
    p = add_command(group, "schedule-label", cmd_schedule_label, "change a schedule's label")
    p.add_argument("client")
    p.add_argument("name")
    p.add_argument("label")
    p = add_command(group, "schedule-remove", cmd_schedule_remove,
                    "remove a schedule with its rotation and overrides (not default, not while something names it)")
    p.add_argument("client")
    p.add_argument("name")
    p = add_command(group, "rotation", cmd_rotation, "set the schedule's rotation (replaces the previous one)")
    p.add_argument("client")
    p.add_argument("period", choices=["daily", "weekly", "monthly"])
    p.add_argument("handover", help="local time HH:MM")
    p.add_argument("starts_on", help="local date of the first shift, YYYY-MM-DD")
    p.add_argument("contacts", type=int, nargs="+", help="contact ids in rotation order")
    _schedule_option(p)
    p = add_command(group, "override", cmd_override, "put a contact on call over [from, to)")
    p.add_argument("client")
    p.add_argument("contact", type=int)
    p.add_argument("start", metavar="from", help="ISO 8601; without an offset, the client's local time")
    p.add_argument("end", metavar="to")
    p.add_argument("--reason", default="swap", choices=list(store_oncall.REASONS))
    p.add_argument("--note", default="")
    _schedule_option(p)
    p = add_command(group, "unoverride", cmd_unoverride, "remove an override")
    p.add_argument("client")
    p.add_argument("id", type=int)
    p.add_argument("--schedule", dest="given_schedule", default=None, metavar="NAME",
                   help="only if the override is of this schedule (ids are the client's)")
    p = add_command(group, "show", cmd_show, "the schedule's rotation and its overrides (with their ids)")
    p.add_argument("client")
    _schedule_option(p)
    p = add_command(group, "who", cmd_who, "who is on call (now, or --at); exit status 1 when nobody is")
    p.add_argument("client")
    p.add_argument("--at")
    _schedule_option(p)
    p = add_command(group, "shifts", cmd_shifts, "the next shifts, in the client's time zone")
    p.add_argument("client")
    p.add_argument("--from", dest="start")
    p.add_argument("--count", type=int, default=10)
    _schedule_option(p)
