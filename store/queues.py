"""Queues as data: how app_queue distributes a queue's calls, and what happens when it cannot.

A queue is named by what the menus, the fallback and the agents' memberships call it. A name with no
row here is still a queue: it takes the defaults of `Queue` (dialplan renders it so). A row may
belong to a client or be shared by several (client_code None).
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, fields

import sqlite_utils

from .clock import now_iso
from .oncall_schedules import DEFAULT as DEFAULT_SCHEDULE
from .oncall_schedules import NAME as SCHEDULE_NAME

QUEUE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
STRATEGIES = ("ringall", "leastrecent", "fewestcalls", "rrmemory", "linear", "wrandom")
OVERFLOW_ACTIONS = ("queue", "voicemail", "oncall", "callback", "hangup")
CALLBACK_KEYS = tuple("0123456789*#")
# Section names of queues.conf and queuerules.conf that are not queues.
RESERVED = ("general", "permanence-queue")
MUSIC_CLASS = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_LABEL = 128
MAX_RULES = 10
MAX_PENALTY = 100  # the members' penalty range (store.agents)
# (low, high) of each whole-number setting, in seconds unless said otherwise; the migration's CHECKs
# hold the same bounds. app_queue takes retry 0 as "use its default", so at least 1.
BOUNDS = {
    "ring_timeout_s": (1, 600), "retry_s": (1, 600), "wrapup_s": (0, 3600), "max_callers": (0, 10000),
    "max_wait_s": (0, 86400), "announce_frequency_s": (0, 3600), "service_level_s": (1, 3600),
    "service_level_pct": (1, 100), "callback_after_s": (1, 3600),
}
RULE_AFTER_S = (0, 86400)


class _Every(enum.Enum):
    QUEUE = "every queue"


EVERY = _Every.QUEUE  # list_queues without a client: every queue


class QueueError(ValueError):
    """A queue definition was refused; the message says why, `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QueueNotFound(QueueError):
    """No such queue."""


class QueueConflict(QueueError):
    """The queue is still needed (another queue overflows to it)."""


@dataclass(frozen=True)
class PenaltyRule:
    """Widen skills over time: app_queue queuerules.conf `penaltychange`."""
    after_s: int  # seconds in the queue
    max_penalty: int  # members up to this penalty may now be rung


@dataclass(frozen=True)
class Queue:
    name: str  # a-z, 0-9, -, up to 64: the app_queue name
    client_code: str | None  # None: shared by several clients
    label: str = ""
    strategy: str = "rrmemory"  # ringall leastrecent fewestcalls rrmemory linear wrandom
    ring_timeout_s: int = 15
    retry_s: int = 2
    wrapup_s: int = 5
    max_callers: int = 0  # 0: no limit (app_queue maxlen)
    max_wait_s: int = 0  # 0: no limit; then the caller overflows
    announce_position: bool = False
    announce_holdtime: bool = False
    announce_frequency_s: int = 0
    music_class: str = "default"
    service_level_s: int = 20
    service_level_pct: int = 80  # the target: this share of calls answered within service_level_s (80/20)
    penalty_rules: tuple[PenaltyRule, ...] = ()
    overflow_action: str = "voicemail"  # queue | voicemail | oncall | callback | hangup
    overflow_target: str = ""  # the other queue's name when overflow_action == "queue"
    callback_offer: bool = False  # offer "press <key> to be called back" while waiting
    callback_after_s: int = 30  # first offer after this long in the queue
    callback_key: str = "1"
    # the client's on-call schedule an oncall overflow reaches (store/oncall_schedules.py)
    overflow_schedule: str = "default"


COLUMNS = tuple(f.name for f in fields(Queue))


def _fail(queue: object, message: str, field: str) -> QueueError:
    return QueueError(f"queue {getattr(queue, 'name', '?')}: {message}", field)


def _whole(queue: Queue, name: str) -> None:
    value, (low, high) = getattr(queue, name), BOUNDS[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(queue, f"{name} must be a whole number from {low} to {high}, got {value!r}", name)


def _rules(queue: Queue) -> None:
    rules = queue.penalty_rules
    if not isinstance(rules, tuple) or len(rules) > MAX_RULES:
        raise _fail(queue, f"penalty_rules: a tuple of at most {MAX_RULES} rules", "penalty_rules")
    previous: PenaltyRule | None = None
    for number, rule in enumerate(rules, 1):
        where = f"penalty rule {number}"
        if not isinstance(rule, PenaltyRule):
            raise _fail(queue, f"{where}: not a PenaltyRule (after_s, max_penalty)", "penalty_rules")
        for name, (low, high) in (("after_s", RULE_AFTER_S), ("max_penalty", (0, MAX_PENALTY))):
            value = getattr(rule, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise _fail(queue, f"{where}: {name} must be a whole number from {low} to {high}, got {value!r}",
                            "penalty_rules")
        # Rules widen the skills a caller may reach, in time order: each later and wider than the last.
        if previous is not None and rule.after_s <= previous.after_s:
            raise _fail(queue, f"{where}: after_s {rule.after_s} must come after the previous rule's "
                        f"{previous.after_s}", "penalty_rules")
        if previous is not None and rule.max_penalty <= previous.max_penalty:
            raise _fail(queue, f"{where}: max_penalty {rule.max_penalty} must widen the previous rule's "
                        f"{previous.max_penalty}", "penalty_rules")
        previous = rule


def validate(queue: Queue) -> Queue:
    """The queue as it would be stored (label stripped); QueueError naming the first bad field."""
    if not isinstance(queue, Queue):
        raise QueueError("not a Queue", "name")
    if not isinstance(queue.name, str) or not QUEUE_NAME.match(queue.name):
        raise QueueError(f"queue name {queue.name!r}: a-z, 0-9 and - only, starting with a letter or digit, "
                         "64 at most", "name")
    if queue.name in RESERVED:
        raise QueueError(f"queue name {queue.name!r} is reserved by Asterisk's configuration", "name")
    if queue.client_code is not None and not (isinstance(queue.client_code, str)
                                              and re.fullmatch(r"[0-9]{4,5}", queue.client_code)):
        raise _fail(queue, f"client_code must be a client's 4 or 5 digits or none, got {queue.client_code!r}",
                    "client_code")
    label = queue.label.strip() if isinstance(queue.label, str) else None
    if label is None or len(label) > MAX_LABEL or any(ord(c) < 32 for c in label):
        raise _fail(queue, f"label: text of at most {MAX_LABEL} characters, no control characters", "label")
    if queue.strategy not in STRATEGIES:
        raise _fail(queue, f"strategy must be one of {', '.join(STRATEGIES)}, got {queue.strategy!r}", "strategy")
    for name in BOUNDS:
        _whole(queue, name)
    for name in ("announce_position", "announce_holdtime", "callback_offer"):
        if not isinstance(getattr(queue, name), bool):
            raise _fail(queue, f"{name} must be true or false, got {getattr(queue, name)!r}", name)
    if (queue.announce_position or queue.announce_holdtime) and queue.announce_frequency_s == 0:
        # app_queue announces position and hold time only every announce-frequency seconds.
        raise _fail(queue, "announce_frequency_s must be above 0 to announce the position or the hold time",
                    "announce_frequency_s")
    if not isinstance(queue.music_class, str) or not MUSIC_CLASS.match(queue.music_class):
        raise _fail(queue, f"music_class must be a class name of letters, digits, _ and -, got "
                    f"{queue.music_class!r}", "music_class")
    _rules(queue)
    if queue.overflow_action not in OVERFLOW_ACTIONS:
        raise _fail(queue, f"overflow_action must be one of {', '.join(OVERFLOW_ACTIONS)}, got "
                    f"{queue.overflow_action!r}", "overflow_action")
    target = queue.overflow_target
    if queue.overflow_action == "queue":
        if not isinstance(target, str) or not QUEUE_NAME.match(target):
            raise _fail(queue, f"overflow_target must name the queue to overflow to, got {target!r}",
                        "overflow_target")
        if target == queue.name:
            raise _fail(queue, "overflow_target cannot be the queue itself", "overflow_target")
    elif target != "":
        raise _fail(queue, f"overflow_target is only for overflow_action queue (it is {queue.overflow_action})",
                    "overflow_target")
    schedule = queue.overflow_schedule
    if not isinstance(schedule, str) or not SCHEDULE_NAME.match(schedule):
        raise _fail(queue, f"overflow_schedule must name an on-call schedule (a-z, 0-9 and -), got {schedule!r}",
                    "overflow_schedule")
    if schedule != DEFAULT_SCHEDULE and queue.overflow_action != "oncall":
        raise _fail(queue, f"overflow_schedule is only for overflow_action oncall (it is {queue.overflow_action})",
                    "overflow_schedule")
    if schedule != DEFAULT_SCHEDULE and queue.client_code is None:
        # The schedule is the queue's client's; a shared queue's callers belong to several clients.
        raise _fail(queue, "overflow_schedule: a shared queue reaches the default schedule of each caller's "
                    "client; give the queue a client to name another", "overflow_schedule")
    if queue.callback_key not in CALLBACK_KEYS:
        raise _fail(queue, f"callback_key must be one key of 0-9 * #, got {queue.callback_key!r}", "callback_key")
    return Queue(**{**{name: getattr(queue, name) for name in COLUMNS}, "label": label})


def _row_to_queue(row: dict) -> Queue:
    values = {name: row[name] for name in COLUMNS}
    for name in ("announce_position", "announce_holdtime", "callback_offer"):
        values[name] = bool(values[name])
    values["penalty_rules"] = tuple(PenaltyRule(r["after_s"], r["max_penalty"])
                                    for r in json.loads(row["penalty_rules"]))
    return Queue(**values)


def get_queue(db: sqlite_utils.Database, name: str) -> Queue | None:
    rows = list(db.query("SELECT * FROM queues WHERE name = ?", [name]))
    return _row_to_queue(rows[0]) if rows else None


def queue_or_default(db: sqlite_utils.Database, name: str) -> Queue:
    """The stored queue, or one with the defaults for a name only something else names (a menu, the
    fallback, a membership)."""
    return get_queue(db, name) or Queue(name, None)


def list_queues(db: sqlite_utils.Database, client_code: str | _Every | None = EVERY) -> list[Queue]:
    """Every queue by name; with a client code, that client's own; with None, the shared ones."""
    if client_code is EVERY:
        rows = db.query("SELECT * FROM queues ORDER BY name")
    elif client_code is None:
        rows = db.query("SELECT * FROM queues WHERE client_code IS NULL ORDER BY name")
    else:
        rows = db.query("SELECT * FROM queues WHERE client_code = ? ORDER BY name", [client_code])
    return [_row_to_queue(r) for r in rows]


def save_queue(db: sqlite_utils.Database, queue: Queue) -> None:
    """Add the queue or replace its whole definition; QueueError (naming the field) changes nothing."""
    queue = validate(queue)
    if queue.client_code is not None and db.execute("SELECT 1 FROM clients WHERE code = ?",
                                                    [queue.client_code]).fetchone() is None:
        raise _fail(queue, f"no client {queue.client_code}", "client_code")
    if queue.overflow_schedule != DEFAULT_SCHEDULE and db.execute(
            "SELECT 1 FROM oncall_schedules WHERE client_code = ? AND name = ?",
            [queue.client_code, queue.overflow_schedule]).fetchone() is None:
        raise _fail(queue, f"overflow_schedule: client {queue.client_code} has no on-call schedule "
                    f"{queue.overflow_schedule!r}", "overflow_schedule")
    values = {name: getattr(queue, name) for name in COLUMNS}
    values["penalty_rules"] = json.dumps([{"after_s": r.after_s, "max_penalty": r.max_penalty}
                                          for r in queue.penalty_rules])
    now = now_iso()
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in COLUMNS if name != "name")
    # Column names come from the Queue dataclass only.
    db.execute(f"INSERT INTO queues ({columns}, created_at, updated_at) "  # noqa: S608
               f"VALUES ({', '.join('?' * len(COLUMNS))}, ?, ?) "
               f"ON CONFLICT (name) DO UPDATE SET {updates}, updated_at = excluded.updated_at",
               [*values.values(), now, now])


def remove_queue(db: sqlite_utils.Database, name: str) -> None:
    """Remove the row (the name then takes the defaults again where something still names it)."""
    if get_queue(db, name) is None:
        raise QueueNotFound(f"no queue {name}", "name")
    users = [r[0] for r in db.execute("SELECT name FROM queues WHERE overflow_action = 'queue' "
                                      "AND overflow_target = ? ORDER BY name", [name]).fetchall()]
    if users:
        raise QueueConflict(f"queue {name}: {', '.join(users)} overflow to it; change them first", "name")
    db.execute("DELETE FROM queues WHERE name = ?", [name])
