"""SMS through a real Kannel: the code at the end of the SMS, the reply through smsbox's sms-service into
the web app, and what a right, wrong or late code does."""

from __future__ import annotations

import re

import pytest

from .conftest import BACKUP_EMAIL, MOBILE, World

CODE = re.compile(r"(\w{1,4})$")


async def _sms(world: World, count: int = 1) -> list[str]:
    return await world.until(lambda: len(world.sms_to(MOBILE)) >= count and world.sms_to(MOBILE), 10,
                             f"{count} SMS to {MOBILE} at the fake SMSC")


async def test_the_right_code_confirms_and_the_chain_stops(world: World) -> None:
    message = await world.take()
    [text] = await _sms(world)
    assert text.startswith("Plomberie Demo : M. Tremblay: fuite d'eau au 12 rue Principale")
    code = CODE.search(text).group(1)
    assert len(code) == 4
    world.kannel.reply(MOBILE, f"ok {code.lower()}")  # the case does not matter, what comes before neither
    await world.until(lambda: _status(world, message.id, "delivered"), 10, "the message delivered")
    stored, history = await world.message(message.id)
    assert (stored.confirmed_by, stored.deadline) == (MOBILE, None)
    assert [(e.channel, e.result, e.code) for e in history] == [("sms", "sent", code), ("sms", "confirmed", code)]
    assert history[0].recipient == MOBILE and history[0].contact_id == world.marie
    # Marie is told by SMS that her reply confirmed it.
    await world.until(lambda: len(world.sms_to(MOBILE)) == 2, 10, "the answer to Marie's reply")
    assert world.sms_to(MOBILE)[1] == "Merci, message confirmé. / Thank you, message confirmed."
    # Past the SMS step's deadline nothing else goes: no email, no other SMS, no alert.
    await _sleep(4)
    assert await world.results(message.id) == [("sms", "sent"), ("sms", "confirmed")]
    assert world.smtp.inbox.messages == [] and len(world.sms_to(MOBILE)) == 2


async def test_a_wrong_code_confirms_nothing_and_the_chain_goes_on_to_email(world: World) -> None:
    message = await world.take()
    [text] = await _sms(world)
    code = CODE.search(text).group(1)
    wrong = "Z" + code[1:] if code[0] != "Z" else "Y" + code[1:]
    world.kannel.reply(MOBILE, wrong)
    await world.until(lambda: _has(world, message.id, ("sms", "wrong_code")), 10, "the wrong code in the history")
    stored, history = await world.message(message.id)
    assert stored.status == "dispatching" and stored.step == 0
    assert (history[-1].code, history[-1].confirmed_by) == (wrong, MOBILE)
    await world.until(lambda: len(world.sms_to(MOBILE)) == 2, 10, "the answer to the wrong code")
    assert world.sms_to(MOBILE)[1].startswith("Code incorrect")
    # No reply with the right code before the deadline: the email to the backup, with the message.
    await world.until(lambda: world.smtp.inbox.messages, 10, "the email to the backup")
    [mail] = world.smtp.inbox.messages
    assert mail["To"] == BACKUP_EMAIL and "[Plomberie Demo]" in mail["Subject"]
    assert "fuite d'eau au 12 rue Principale" in mail.get_content()
    assert await world.results(message.id) == [("sms", "sent"), ("sms", "wrong_code"), ("sms", "no_reply"),
                                               ("email", "sent")]


async def test_the_right_code_after_the_deadline_is_late(world: World) -> None:
    message = await world.take()
    [text] = await _sms(world)
    code = CODE.search(text).group(1)
    await world.until(lambda: world.smtp.inbox.messages, 10, "the email step (the SMS step's time is up)")
    world.kannel.reply(MOBILE, code)
    await world.until(lambda: _has(world, message.id, ("sms", "late")), 10, "the late code in the history")
    stored, _ = await world.message(message.id)
    assert stored.status == "dispatching" and stored.step == 1 and stored.confirmed_by is None
    await world.until(lambda: len(world.sms_to(MOBILE)) == 2, 10, "the answer to the late code")
    assert world.sms_to(MOBILE)[1].startswith("Trop tard")


@pytest.mark.parametrize("steps", [[{"channel": "sms", "to": "on_call", "wait_s": 30}]])
async def test_a_reply_from_a_number_we_sent_nothing_to_changes_nothing(world: World) -> None:
    message = await world.take()
    [text] = await _sms(world)
    world.kannel.reply("+15145559999", CODE.search(text).group(1))
    await _sleep(2.5)
    assert await world.results(message.id) == [("sms", "sent")]
    assert world.sms_to("+15145559999") == []  # and is told nothing


async def _status(world: World, message_id: int, status: str) -> bool:
    return (await world.message(message_id))[0].status == status


async def _has(world: World, message_id: int, entry: tuple[str, str]) -> bool:
    return entry in await world.results(message_id)


async def _sleep(seconds: float) -> None:
    import asyncio
    await asyncio.sleep(seconds)
