"""SMS delivery reports through a real Kannel: every dispatch SMS asks for them, smsbox calls the web app's
/api/sms/delivery with the attempt's id, and they land in the message's history.

What this Kannel (1.4.5) really sends with the fake SMS centre, as checked here: bearerbox reports 8
("ACK/") once the SMS centre's connection took the SMS, and its fake SMS centre driver then reports 1 (the
phone got it, empty text) at once; bearerbox reports 16 ("NACK/receiver in black-list") for an SMS it
refuses itself, while sendsms answers 403. The fake SMS centre never refuses an SMS it was handed, nor
says one was not delivered (2): those two come from a real SMS centre (an SMPP submit_sm_resp error, a
deliver_sm receipt), so the test of what they do calls the route as smsbox would, with the SMS's own
dlr-url and Kannel's escapes filled in.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote

import aiohttp
import pytest

from store import contacts, messages
from store.clock import parse_iso

from .conftest import BACKUP_EMAIL, MOBILE, World
from .kannel import REFUSED

SLOW = [{"channel": "sms", "to": "on_call", "wait_s": 30}, {"channel": "email", "to": "backup", "wait_s": 30}]
CODE = re.compile(r"(\w{1,4})$")
THANKS = "Merci, message confirmé. / Thank you, message confirmed."


async def _entries(world: World, message_id: int) -> list[messages.HistoryEntry]:
    return (await world.message(message_id, reports=True))[1]


async def _results(world: World, message_id: int) -> list[str]:
    return [e.result for e in await _entries(world, message_id)]


async def _until_results(world: World, message_id: int, wanted: set[str], what: str) -> list[str]:
    async def check():
        found = await _results(world, message_id)
        return wanted <= set(found) and found
    return await world.until(check, 10, what)


async def _smsbox_calls(world: World, attempt_id: int, status: int, reply: str) -> int:
    """GET the attempt's dlr-url as smsbox does when a report comes: %d the type, %A the SMS centre's
    text URL-encoded."""
    url = world.kannel.settings.dlr_url(attempt_id).replace("%d", str(status)).replace("%A", quote(reply, safe=""))
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status


@pytest.mark.parametrize("steps", [SLOW])
async def test_kannel_reports_the_sms_centres_acceptance_and_the_fake_phones_receipt(world: World) -> None:
    message = await world.take()
    await world.until(lambda: _dispatched(world), 10, "the SMS at the fake SMS centre")
    found = await _until_results(world, message.id, {"sms_accepted", "sms_delivered"}, "both reports")
    # The attempt first; the two reports after it, in the order smsbox delivered them.
    assert found[0] == "sent" and sorted(found[1:]) == ["sms_accepted", "sms_delivered"]
    entries = await _entries(world, message.id)
    attempt = entries[0]
    accepted = next(e for e in entries if e.result == "sms_accepted")
    delivered = next(e for e in entries if e.result == "sms_delivered")
    assert (accepted.detail, accepted.step, accepted.recipient) == ("ACK/", 0, MOBILE)
    assert (delivered.detail, delivered.step, delivered.recipient) == ("", 0, MOBILE)
    # Whichever came last, delivered is the attempt's state, at the time its report came.
    assert (attempt.delivery, attempt.delivery_at) == ("delivered", delivered.at)
    # Delivered confirms nothing: the step still waits for the code, and nothing else goes meanwhile.
    stored, _ = await world.message(message.id)
    assert (stored.status, stored.step, stored.confirmed_by) == ("dispatching", 0, None)
    assert stored.deadline == attempt.deadline and world.smtp.inbox.messages == []
    # The API shows the same.
    token = await _token(world)
    async with aiohttp.ClientSession() as session, session.get(
            f"{world.base}/api/messages/{message.id}", headers={"Authorization": f"Bearer {token}"}) as response:
        body = await response.json()
    assert body["history"][0]["delivery"] == "delivered"
    assert {e["result"] for e in body["history"][1:]} == {"sms_accepted", "sms_delivered"}
    # The code in a reply still confirms.
    world.kannel.reply(MOBILE, CODE.search(_dispatched(world)[0]).group(1))
    await world.until(lambda: _status(world, message.id, "delivered"), 10, "the message confirmed by its code")
    await world.until(lambda: THANKS in world.sms_to(MOBILE), 10, "the answer to the reply")


@pytest.mark.parametrize("steps", [SLOW])
async def test_an_sms_kannel_refuses_is_reported_rejected_and_the_email_goes_at_once(world: World) -> None:
    """bearerbox refuses the SMS (its black-listed receiver): sendsms answers 403, which fails the attempt,
    and the 16 report it sends as well is written to that attempt whichever comes first."""
    await world.store.write(lambda db: db.execute("UPDATE contacts SET mobile = ? WHERE id = ?",
                                                  [REFUSED, world.marie]))
    assert (await world.store.read(lambda db: contacts.get_contact(db, "1000", world.marie))).mobile == REFUSED
    message = await world.take()
    found = await _until_results(world, message.id, {"sms_rejected"}, "Kannel's rejection report")
    await world.until(lambda: world.smtp.inbox.messages, 10, "the email to the backup, long before 30 s")
    assert world.smtp.inbox.messages[0]["To"] == BACKUP_EMAIL and world.sms_to(REFUSED) == []
    entries = await _entries(world, message.id)
    rejected = next(e for e in entries if e.result == "sms_rejected")
    assert (rejected.detail, rejected.step, rejected.recipient) == ("NACK/receiver in black-list", 0, REFUSED)
    assert (entries[0].result, entries[0].delivery) == ("failed", "rejected")  # and sendsms said 403
    assert "Not routable" in entries[0].detail
    # The step ended once, without a 'no_reply'; the email went long before the SMS step's deadline.
    assert found.count("sms_rejected") == 1
    assert sorted((e.channel, e.result) for e in entries[1:]) == [("email", "sent"), ("sms", "sms_rejected")]
    email = next(e for e in entries if e.channel == "email")
    assert email.step == 1 and parse_iso(email.at) < parse_iso(entries[0].deadline)


@pytest.mark.parametrize("steps", [SLOW])
@pytest.mark.parametrize(("status", "reply", "result"), [
    (16, "NACK/0x0000000b/Invalid Destination Address", "sms_rejected"),
    (2, "id:3a8f sub:001 dlvrd:000 submit date:2612052051 done date:2612052059 stat:UNDELIV err:001",
     "sms_undelivered")])
async def test_a_report_that_the_sms_went_nowhere_moves_the_dispatch_on_before_the_deadline(
        world: World, status: int, reply: str, result: str) -> None:
    """The fake SMS centre accepts every SMS and reports it delivered; a real one may refuse it after
    sendsms accepted it (16) or report that the phone never got it (2). Those reports are made here as
    smsbox makes them: the SMS's own dlr-url, %d and %A filled in."""
    message = await world.take()
    # At the fake SMS centre (which logs it a little after bearerbox reports it accepted), and reported.
    await world.until(lambda: _dispatched(world), 10, "the SMS at the fake SMS centre")
    await _until_results(world, message.id, {"sms_accepted", "sms_delivered"}, "Kannel's own reports first")
    attempt = (await _entries(world, message.id))[0]
    assert await _smsbox_calls(world, attempt.id, status, reply) == 200
    await world.until(lambda: world.smtp.inbox.messages, 10, "the email step, with 30 s left to the SMS's")
    entries = await _entries(world, message.id)
    report = next(e for e in entries if e.result == result)
    assert (report.detail, report.step) == (reply, 0)
    assert [e.result for e in entries if e.result not in ("sms_accepted", "sms_delivered")] == [
        "sent", result, "sent"]
    assert entries[0].delivery == result.removeprefix("sms_")
    email = entries[-1]
    assert (email.channel, email.step) == ("email", 1)
    assert parse_iso(email.at) < parse_iso(attempt.deadline)


@pytest.mark.parametrize("steps", [[{"channel": "sms", "to": "on_call", "wait_s": 30}]])
async def test_a_report_for_a_confirmed_message_is_recorded_and_sends_nothing(world: World) -> None:
    message = await world.take()
    [text] = await world.until(lambda: _dispatched(world), 10, "the SMS")
    world.kannel.reply(MOBILE, CODE.search(text).group(1))
    await world.until(lambda: _status(world, message.id, "delivered"), 10, "the message confirmed")
    await world.until(lambda: THANKS in world.sms_to(MOBILE), 10, "the answer to the reply")
    attempt = (await _entries(world, message.id))[0]
    assert await _smsbox_calls(world, attempt.id, 2, "stat:UNDELIV") == 200
    await world.until(lambda: _has_result(world, message.id, "sms_undelivered"), 5, "the report recorded")
    await asyncio.sleep(1.5)
    stored, history = await world.message(message.id)
    assert (stored.status, stored.confirmed_by) == ("delivered", MOBILE)
    assert [e.result for e in history] == ["sent", "confirmed"]
    assert len(_dispatched(world)) == 1 and world.smtp.inbox.messages == []  # nothing sent again


def _dispatched(world: World) -> list[str]:
    """The dispatch SMS to the on-call mobile (not the answers to replies, which may come late from an
    earlier test of the session)."""
    return [text for text in world.sms_to(MOBILE) if text.startswith("Plomberie Demo")]


async def _status(world: World, message_id: int, status: str) -> bool:
    return (await world.message(message_id))[0].status == status


async def _has_result(world: World, message_id: int, result: str) -> bool:
    return result in await _results(world, message_id)


async def _token(world: World) -> str:
    from .conftest import PASSWORDS
    async with aiohttp.ClientSession() as session, session.post(
            f"{world.base}/api/login", json={"login": "alice", "password": PASSWORDS["alice"]}) as response:
        return (await response.json())["token"]
