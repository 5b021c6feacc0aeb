"""Overflow decisions, pure: the wait before the next decision, where each QUEUESTATUS leads with each
setting, the callback offer once and in time, and overflow loops refused."""

from __future__ import annotations

import pytest

from ivr.overflow import MAX_HOPS, Decision, Wait, after_queue, wait
from store.queues import Queue

PLAIN = Queue("a", "1000")
LIMITED = Queue("a", "1000", max_wait_s=60)
OFFERING = Queue("a", "1000", max_wait_s=120, callback_offer=True, callback_after_s=30)


def test_the_wait_ends_at_the_max_wait_or_the_offer_whichever_comes_first():
    assert wait(PLAIN, waited_s=0, offered=False) == Wait(None, False)
    assert wait(LIMITED, waited_s=0, offered=False) == Wait(60, False)
    assert wait(LIMITED, waited_s=59.8, offered=False) == Wait(1, False)  # never 0 (Queue(): no timeout)
    assert wait(OFFERING, waited_s=0, offered=False) == Wait(30, True)
    assert wait(OFFERING, waited_s=36, offered=True) == Wait(84, False)  # back from the offer: the max wait left
    assert wait(Queue("a", None, callback_offer=True, callback_after_s=30), waited_s=31, offered=True) == Wait(None,
                                                                                                               False)
    assert wait(Queue("a", None, max_wait_s=20, callback_offer=True, callback_after_s=30), waited_s=0,
                offered=False) == Wait(20, False)  # the max wait comes first: no offer


@pytest.mark.parametrize("status", ["TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"])
@pytest.mark.parametrize(("action", "target"), [("voicemail", ""), ("oncall", ""), ("hangup", ""), ("queue", "b")])
def test_each_reason_leads_where_the_queue_says(status, action, target):
    queue = Queue("a", "1000", max_wait_s=60, overflow_action=action, overflow_target=target)
    assert after_queue(queue, status, waited_s=60, offered=False, hops=["a"]) == Decision(action, target, status)


def test_the_offer_comes_once_in_time_then_the_overflow():
    assert after_queue(OFFERING, "TIMEOUT", waited_s=30, offered=False, hops=["a"]) == Decision("offer", "a")
    # Heard it already: the next timeout is the max wait, and the queue's overflow (a message).
    assert after_queue(OFFERING, "TIMEOUT", waited_s=120, offered=True, hops=["a"]) == Decision("voicemail", "",
                                                                                                "TIMEOUT")
    # A full queue or no agent overflows at once, offer or not.
    assert after_queue(OFFERING, "JOINEMPTY", waited_s=0, offered=False, hops=["a"]).reason == "JOINEMPTY"


def test_a_callback_overflow_asks_the_caller():
    queue = Queue("a", "1000", overflow_action="callback")
    assert after_queue(queue, "FULL", waited_s=0, offered=False, hops=["a"]) == Decision("callback", "a", "FULL")


def test_overflow_loops_are_refused_and_chains_bounded():
    back = Queue("b", "1000", overflow_action="queue", overflow_target="a")
    refused = after_queue(back, "TIMEOUT", waited_s=10, offered=False, hops=["a", "b"])
    assert (refused.action, refused.reason) == ("voicemail", "TIMEOUT")
    assert "a → b" in refused.refused
    chain = [f"q{n}" for n in range(MAX_HOPS)]
    onward = Queue(chain[-1], None, overflow_action="queue", overflow_target="next")
    assert after_queue(onward, "FULL", waited_s=0, offered=False, hops=chain).action == "voicemail"
    assert after_queue(onward, "FULL", waited_s=0, offered=False, hops=chain[:-1]).action == "queue"


def test_an_unknown_status_leaves_a_message():
    decision = after_queue(PLAIN, "WEIRD", waited_s=0, offered=False, hops=["a"])
    assert (decision.action, decision.reason) == ("voicemail", "WEIRD")
