"""`permanence queues …`: queues as data (store/queues.py, call for call), and `apply` to have the running
Asterisk take them (dialplan.deploy: checked first, the previous files back if Asterisk refuses).

A name no queue row defines still works where menus, the fallback or memberships name it: it takes the
defaults `show` prints for it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses

from dialplan.deploy import Report
from store import Store, queues
from store.queues import PenaltyRule, Queue

from .cliutil import CLIError, add_command, add_group, in_store, store_db
from .config import Config
from .serve import agent_presence, asterisk_deployer

# Option name → Queue field, for the settings add and edit take (name and client are positional or apart).
SETTINGS = ("label", "strategy", "ring_timeout_s", "retry_s", "wrapup_s", "max_callers", "max_wait_s",
            "announce_position", "announce_holdtime", "announce_frequency_s", "music_class", "service_level_s",
            "service_level_pct", "overflow_action", "overflow_target", "callback_offer", "callback_after_s",
            "callback_key", "overflow_schedule")
FLAGS = ("announce_position", "announce_holdtime", "callback_offer")
INTEGERS = tuple(queues.BOUNDS)


def _option(field: str) -> str:
    return "--" + field.replace("_", "-")


def _rule(text: str) -> PenaltyRule:
    after, sep, most = text.partition(":")
    if not sep or not after.isdigit() or not most.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: AFTER_S:MAX_PENALTY, e.g. 30:5")
    return PenaltyRule(int(after), int(most))


def _yes_no(text: str) -> bool:
    if text not in ("yes", "no"):
        raise argparse.ArgumentTypeError(f"{text!r}: yes or no")
    return text == "yes"


def _changes(args: argparse.Namespace) -> dict[str, object]:
    """The fields the command line gives (None: not given)."""
    changes = {field: getattr(args, field) for field in SETTINGS if getattr(args, field) is not None}
    if args.rule is not None or args.no_rules:
        changes["penalty_rules"] = () if args.no_rules else tuple(args.rule)
    return changes


def _save(config: Config, queue: Queue) -> None:
    in_store(config, lambda db: queues.save_queue(db, queue), queues.QueueError)


def describe(queue: Queue) -> str:
    rules = " ".join(f"{r.after_s}:{r.max_penalty}" for r in queue.penalty_rules) or "-"
    lines = [f"name\t{queue.name}", f"client\t{queue.client_code or 'shared'}", f"rules\t{rules}"]
    lines += [f"{field}\t{_shown(getattr(queue, field))}" for field in SETTINGS]
    return "\n".join(lines)


def _shown(value: object) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def cmd_add(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        if queues.get_queue(db, args.name) is not None:
            raise CLIError(f"queue {args.name} exists already; change it with `queues edit`")
    _save(config, Queue(args.name, args.client, **_changes(args)))  # type: ignore[arg-type]
    print(f"queue {args.name} added ({args.client or 'shared'}); `permanence queues apply` gives it to Asterisk")
    return 0


def cmd_edit(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        queue = queues.get_queue(db, args.name)
    if queue is None:
        raise CLIError(f"no queue {args.name}")
    changes = _changes(args)
    if args.client is not None or args.shared:
        changes["client_code"] = None if args.shared else args.client
    _save(config, dataclasses.replace(queue, **changes))  # type: ignore[arg-type]
    print(f"queue {args.name} changed: {', '.join(sorted(changes)) or 'nothing'}")
    return 0


def cmd_list(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        found = (queues.list_queues(db, None) if args.shared else
                 queues.list_queues(db, args.client) if args.client else queues.list_queues(db))
    for q in found:
        print(f"{q.name}\t{q.client_code or 'shared'}\t{q.strategy}\t{q.label}")
    return 0


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        queue = queues.get_queue(db, args.name)
    if queue is None:
        if not args.defaults:
            raise CLIError(f"no queue {args.name} (--defaults shows what a name without one gets)")
        queue = Queue(args.name, None)
    print(describe(queue))
    return 0


def cmd_remove(config: Config, args: argparse.Namespace) -> int:
    in_store(config, lambda db: queues.remove_queue(db, args.name), queues.QueueError)
    print(f"queue {args.name} removed (where something still names it, it takes the defaults)")
    return 0


def cmd_apply(config: Config, args: argparse.Namespace) -> int:
    """Check the whole configuration, then have the running Asterisk reload what changed."""
    async def run() -> Report:
        # A store of its own for the agents' memberships, which the reload applies after the files.
        store = Store(config.store.path)
        await asyncio.to_thread(store.open)
        try:
            deployer = asterisk_deployer(config, agent_presence(config, store))
            return await (deployer.check() if args.check else deployer.reload())
        finally:
            await asyncio.to_thread(store.close)

    report = asyncio.run(run())
    for error in report.errors:
        print(f"error: {error}")
    if not report.ok:
        what = {"render": "the queues cannot be rendered", "check": "the configuration has errors",
                "unavailable": "Asterisk cannot be reached", "asterisk": "Asterisk refused the new configuration"}
        done = "the previous one is back" if report.restored else "nothing was changed"
        raise CLIError(f"{what.get(report.stage, report.stage)}; {done}")
    verb = "would change" if args.check else "changed"
    print(f"{verb}: {', '.join(report.changed) or 'nothing'}"
          + (f"; reloaded {', '.join(report.reloaded)}" if report.reloaded else "")
          + (f"; waiting for a restart: {', '.join(report.restart_needed)}" if report.restart_needed else ""))
    return 0


def _settings_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--label", help="a name for people")
    p.add_argument("--strategy", choices=queues.STRATEGIES, help="how the next agent is chosen")
    for field in INTEGERS:
        low, high = queues.BOUNDS[field]
        p.add_argument(_option(field), dest=field, type=int, metavar="N", help=f"{low}-{high}")
    for field in FLAGS:
        p.add_argument(_option(field), dest=field, type=_yes_no, metavar="yes|no")
    p.add_argument("--music-class", dest="music_class", help="a class of musiconhold.conf")
    p.add_argument("--overflow-action", dest="overflow_action", choices=queues.OVERFLOW_ACTIONS)
    p.add_argument("--overflow-target", dest="overflow_target", metavar="QUEUE",
                   help="the queue to overflow to (with --overflow-action queue)")
    p.add_argument("--overflow-schedule", dest="overflow_schedule", metavar="SCHEDULE",
                   help="the client's on-call schedule an oncall overflow reaches (default: default)")
    p.add_argument("--callback-key", dest="callback_key", choices=queues.CALLBACK_KEYS)
    p.add_argument("--rule", action="append", type=_rule, metavar="AFTER_S:MAX_PENALTY",
                   help="a penalty rule (repeatable, in time order): after AFTER_S seconds, ring members up to "
                        "MAX_PENALTY; replaces the queue's rules")
    p.add_argument("--no-rules", action="store_true", help="remove the queue's penalty rules")


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "queues", "queues: strategy, timeouts, wrap-up, limits, announcements, skills, overflow")
    p = add_command(group, "add", cmd_add, "add a queue (unset settings take the defaults)")
    p.add_argument("name", help="a-z, 0-9 and -, 64 at most: the name menus and agents use")
    p.add_argument("--client", metavar="CODE", help="the client it belongs to (default: shared)")
    _settings_options(p)
    p = add_command(group, "edit", cmd_edit, "change the settings given, keep the others")
    p.add_argument("name")
    owner = p.add_mutually_exclusive_group()
    owner.add_argument("--client", metavar="CODE", help="move it to this client")
    owner.add_argument("--shared", action="store_true", help="make it shared by several clients")
    _settings_options(p)
    p = add_command(group, "list", cmd_list, "list queues: name, client, strategy, label")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--client", metavar="CODE", help="only this client's own")
    which.add_argument("--shared", action="store_true", help="only the shared ones")
    p = add_command(group, "show", cmd_show, "every setting of one queue")
    p.add_argument("name")
    p.add_argument("--defaults", action="store_true", help="a name with no definition: show the defaults")
    p = add_command(group, "remove", cmd_remove, "remove a queue's definition")
    p.add_argument("name")
    p = add_command(group, "apply", cmd_apply,
                    "check the configuration and have the running Asterisk reload it (previous one kept if refused)")
    p.add_argument("--check", action="store_true", help="only check and say what would change")
