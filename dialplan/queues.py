"""app_queue's configuration from the data: one block per queue in queues_local.conf, one rule per
queue that widens its skills over time in queuerules_local.conf, and where those skills start in
extensions_queues.conf (the dialplan sets it before Queue()).

Every queue something names (a menu, the fallback, a membership, a queue's overflow) is rendered; one
without a stored definition takes the defaults of store.queues.Queue. Each block spells out every
setting, so what Asterisk runs never depends on the template's values. The output is a function of
its input only (sorted, no time stamps): the same data renders the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from store.queues import RESERVED, Queue, QueueError, validate

from .errors import RenderError


@dataclass(frozen=True)
class QueueMember:
    queue: str
    agent_id: str
    penalty: int = 0


_QUEUE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_CATEGORY = re.compile(r"^\[([^\]]+)\]")
TEMPLATE = "permanence-queue"  # etc/asterisk/queues.conf: what every queue shares (join and leave rules)


def music_classes(musiconhold_conf: Path) -> frozenset[str]:
    """The music-on-hold classes a musiconhold.conf defines (its categories but general; none without
    the file)."""
    if not musiconhold_conf.is_file():
        return frozenset()
    text = musiconhold_conf.read_text(encoding="utf-8")
    found = {m[1].strip() for line in text.splitlines() if (m := _CATEGORY.match(line.strip()))}
    return frozenset(found - {"general"})


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def check_members(members: Sequence[QueueMember], agent_names: Mapping[str, str]) -> None:
    """Who may answer a queue must be an agent. They are no member lines: an agent joins its queues when
    it logs in, as app_queue's dynamic member (ami.members), and only then."""
    for m in members:
        if m.agent_id not in agent_names:
            raise RenderError(f"queue {m.queue}: member {m.agent_id!r} is not an agent")


def queue_block(queue: Queue) -> str:
    """One queue's section: its settings in app_queue's words (members join at login: check_members)."""
    rule = f"defaultrule = {queue.name}\n" if queue.penalty_rules else ""
    return (
        f"\n[{queue.name}]({TEMPLATE})\n"
        f"strategy = {queue.strategy}\n"
        f"timeout = {queue.ring_timeout_s}\n"
        f"retry = {queue.retry_s}\n"
        f"wrapuptime = {queue.wrapup_s}\n"
        f"maxlen = {queue.max_callers}\n"
        f"announce-position = {_yes(queue.announce_position)}\n"
        f"announce-holdtime = {_yes(queue.announce_holdtime)}\n"
        f"announce-frequency = {queue.announce_frequency_s}\n"
        f"musicclass = {queue.music_class}\n"
        f"servicelevel = {queue.service_level_s}\n"
        f"{rule}"
    )


def rule_block(queue: Queue) -> str:
    """The queue's penalty rule, named after it: after N seconds in the queue, members up to that
    penalty may be rung (an absolute QUEUE_MAX_PENALTY; the dialplan sets where it starts, without
    which app_queue ignores the rules)."""
    return f"\n[{queue.name}]\n" + "".join(f"penaltychange => {r.after_s},{r.max_penalty}\n"
                                           for r in queue.penalty_rules)


def start_penalty(queue: Queue) -> int:
    """The QUEUE_MAX_PENALTY a caller of a queue with penalty rules starts with: its rule at 0 s, else 0
    (the most skilled only); the rules widen it from there."""
    first = queue.penalty_rules[0]
    return first.max_penalty if first.after_s == 0 else 0


def skills_block(queues: Sequence[Queue]) -> str:
    """The dialplan's starting skills per queue with rules (etc/asterisk/extensions.conf's
    permanence-queue-start calls it). Asterisk matches extension names ignoring their dashes: two
    queues that differ only by those cannot be told apart there."""
    alike: dict[str, list[str]] = {}
    for q in queues:
        alike.setdefault(q.name.replace("-", ""), []).append(q.name)
    for q in queues:
        if q.penalty_rules and len(alike[q.name.replace("-", "")]) > 1:
            raise RenderError(f"queues {' and '.join(alike[q.name.replace('-', '')])}: the dialplan cannot tell "
                              "them apart (Asterisk ignores dashes in names); rename one to give it penalty rules")
    ruled = [q for q in queues if q.penalty_rules]
    return "\n[permanence-queue-skills]\n" + "".join(
        f"exten => {q.name},1,Set(QUEUE_MAX_PENALTY={start_penalty(q)})\n same => n,Return()\n" for q in ruled)


def definitions(names: Iterable[str], stored: Iterable[Queue], music: Collection[str]) -> list[Queue]:
    """Every queue to render, sorted by name: the stored definitions (checked again: a row written by
    other means, a music class Asterisk does not have) and the defaults for names with none."""
    by_name: dict[str, Queue] = {}
    for queue in stored:
        try:
            queue = validate(queue)
        except QueueError as exc:
            raise RenderError(str(exc)) from None
        if queue.music_class not in music:
            raise RenderError(f"queue {queue.name}: music class {queue.music_class!r} is not in musiconhold.conf "
                              f"({', '.join(sorted(music))})")
        by_name[queue.name] = queue
    wanted = set(names) | set(by_name) | {q.overflow_target for q in by_name.values() if q.overflow_target}
    for name in wanted:
        if not isinstance(name, str) or not _QUEUE.match(name):
            raise RenderError(f"queue name {name!r}: a-z, 0-9 and - only")
        if name in RESERVED:
            raise RenderError(f"queue name {name!r} is reserved by Asterisk's configuration")
    return [by_name.get(name) or Queue(name, None) for name in sorted(wanted)]


def render_queues(queues: Sequence[Queue], members: Sequence[QueueMember],
                  agent_names: Mapping[str, str], head: str) -> dict[str, str]:
    """queues_local.conf, queuerules_local.conf and extensions_queues.conf for these queues (from
    definitions())."""
    known = {q.name for q in queues}
    for m in members:
        if m.queue not in known:
            raise RenderError(f"member {m.agent_id} of queue {m.queue}: the queue is not rendered")
    check_members(members, agent_names)
    return {
        "queues_local.conf": head + "".join(queue_block(q) for q in queues),
        "queuerules_local.conf": head + "".join(rule_block(q) for q in queues if q.penalty_rules),
        "extensions_queues.conf": head + skills_block(queues),
    }
