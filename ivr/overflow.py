"""What happens around a queue: how long a caller waits before the next decision, and where they go
when the queue cannot take them (overflow). Pure: the overflow route reads the queue and the channel.

A caller overflows when app_queue gives up on them (QUEUESTATUS): they waited the queue's max wait
(TIMEOUT), it was full (FULL: max callers), or no agent was logged in (JOINEMPTY, LEAVEEMPTY,
JOINUNAVAIL, LEAVEUNAVAIL). A queue offering callbacks also times the caller out at the offer: they
hear it, and go back to their place if they decline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from store.queues import Queue

from . import variables as v

OVERFLOW_STATUSES = frozenset({"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})
MAX_HOPS = 3  # queues one call may be placed in, the first included: an overflow chain stops there


@dataclass(frozen=True)
class Wait:
    timeout_s: int | None  # Queue()'s timeout; None: wait until answered
    until_offer: bool  # the timeout ends at the callback offer rather than at the max wait


@dataclass(frozen=True)
class Decision:
    """Where the caller goes after Queue(): IVR_ACTION, IVR_TARGET and the overflow's reason."""

    action: str  # queue | voicemail | oncall | hangup | offer (the callback offer, then back) | callback
    target: str = ""
    reason: str = ""  # the QUEUESTATUS that made the caller overflow; '' when they only hear the offer
    refused: str = ""  # why the queue's own overflow was not followed (a loop), for the logs


def wait(queue: Queue, *, waited_s: float, offered: bool) -> Wait:
    """Queue()'s timeout for a caller who has waited `waited_s` in this queue already."""
    left = queue.max_wait_s - waited_s if queue.max_wait_s else None
    offer_in = queue.callback_after_s - waited_s if queue.callback_offer and not offered else None
    if offer_in is not None and (left is None or offer_in < left):
        return Wait(max(1, round(offer_in)), True)
    if left is not None:
        return Wait(max(1, round(left)), False)
    return Wait(None, False)


def placed(queue: Queue, now: float, hops: Sequence[str] = ()) -> dict[str, str]:
    """The channel variables of a caller placed in `queue` at `now` (epoch seconds) after the queues
    `hops` (none: the first): their place, no callback offer heard yet, Queue()'s timeout."""
    return {v.QUEUE_HOPS: ",".join([*hops, queue.name]), v.QUEUE_JOINED: f"{now:.3f}", v.CALLBACK_OFFERED: "",
            v.QUEUE_POSITION: "", v.QUEUE_TIMEOUT: str(wait(queue, waited_s=0.0, offered=False).timeout_s or "")}


def after_queue(queue: Queue, status: str, *, waited_s: float, offered: bool, hops: Sequence[str]) -> Decision:
    """Where a caller goes once Queue() returned `status` without an agent answering."""
    offer_due = queue.callback_offer and not offered and waited_s >= queue.callback_after_s - 1
    in_time = not queue.max_wait_s or waited_s < queue.max_wait_s - 1
    if status == "TIMEOUT" and offer_due and in_time:
        return Decision("offer", queue.name)
    if status not in OVERFLOW_STATUSES:
        # Not an outcome app_queue documents: a message is the safe way out.
        return Decision("voicemail", "", status or "UNKNOWN", f"unexpected QUEUESTATUS {status!r}")
    action = queue.overflow_action
    if action == "queue":
        target = queue.overflow_target
        if target in hops:
            return Decision("voicemail", "", status, f"overflow to {target} refused: the call was there already "
                            f"({' → '.join(hops)})")
        if len(hops) >= MAX_HOPS:
            return Decision("voicemail", "", status, f"overflow to {target} refused: {len(hops)} queues already")
        return Decision("queue", target, status)
    if action == "callback":
        return Decision("callback", queue.name, status)
    return Decision(action, "", status)
