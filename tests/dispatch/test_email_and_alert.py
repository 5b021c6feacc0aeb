"""Email over SMTP to a real local server (aiosmtpd), confirmed by its link; every step failing alerts
the dispatcher on the live view, until an admin acknowledges it."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
import pytest

from store import contacts

from .conftest import BACKUP_EMAIL, PASSWORDS, World

EMAIL_FIRST = [{"channel": "email", "to": "backup", "wait_s": 3}, {"channel": "sms", "to": "on_call", "wait_s": 2}]
LINK = re.compile(r"(http://\S+/api/messages/confirm/(\S+))")


async def _link(world: World) -> str:
    await world.until(lambda: world.smtp.inbox.messages, 10, "the email at the SMTP server")
    [mail] = world.smtp.inbox.messages
    assert mail["To"] == BACKUP_EMAIL and mail["From"] == "dispatch@permanence.test"
    body = mail.get_content()
    assert "M. Tremblay: fuite d'eau au 12 rue Principale" in body and "Confirm that you received it" in body
    return LINK.search(body).group(1)


@pytest.mark.parametrize("steps", [EMAIL_FIRST])
async def test_the_email_link_asks_then_confirms_and_the_chain_stops(world: World) -> None:
    message = await world.take()
    link = await _link(world)
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as page:  # what a mail scanner does: it confirms nothing
            assert page.status == 200 and '<form method="post">' in await page.text()
        assert await world.results(message.id) == [("email", "sent")]
        async with http.post(link) as done:
            assert done.status == 200 and "Message confirmed" in await done.text()
        stored, history = await world.message(message.id)
        assert (stored.status, stored.confirmed_by) == ("delivered", BACKUP_EMAIL)
        assert [(e.channel, e.result, e.confirmed_by) for e in history] == [
            ("email", "sent", None), ("email", "confirmed", BACKUP_EMAIL)]
        # Followed again: late (the step is over), and the message stays delivered.
        async with http.post(link) as again:
            assert again.status == 200 and "Too late" in await again.text()
        async with http.get(link.rsplit("/", 1)[0] + "/" + "x" * 32) as unknown:
            assert unknown.status == 404
    assert (await world.message(message.id))[0].status == "delivered"
    assert world.sms_to("+15145550123") == []  # the SMS step never came


@pytest.mark.parametrize("steps", [[{"channel": "email", "to": "backup", "wait_s": 1}]])
async def test_a_link_followed_after_its_deadline_is_late(world: World) -> None:
    message = await world.take()
    link = await _link(world)
    await world.until(lambda: _status(world, message.id, "failed"), 10, "the step's time up, then the alert")
    async with aiohttp.ClientSession() as http, http.post(link) as late:
        assert "Too late" in await late.text()
    stored, history = await world.message(message.id)
    assert stored.status == "failed" and history[-1].result == "late"


@pytest.mark.parametrize("steps", [[{"channel": "sms", "to": "on_call", "wait_s": 1},
                                    {"channel": "email", "to": "backup", "wait_s": 1}, {"channel": "alert"}]])
async def test_every_step_failing_alerts_the_dispatcher_until_acknowledged(world: World) -> None:
    async with aiohttp.ClientSession(world.base) as http:
        async with http.post("/api/login", json={"login": "root", "password": PASSWORDS["root"]}) as login:
            headers = {"Authorization": f"Bearer {(await login.json())['token']}"}
        async with http.get("/api/live", headers=headers) as stream:  # the wallboard's stream, from before
            assert (await _snapshot(stream))["alerts"] == []
            message = await world.take()
            alerted = await _snapshot(stream, lambda s: s["alerts"] != [])
            [alert] = alerted["alerts"]
            assert (alert["message_id"], alert["client_code"]) == (message.id, "1000")
            assert "fuite d'eau" in alert["text"]
            assert await world.results(message.id) == [("sms", "sent"), ("sms", "no_reply"), ("email", "sent"),
                                                       ("email", "no_reply"), ("alert", "alerted")]
            assert (await world.message(message.id))[0].status == "failed"
            async with http.post(f"/api/messages/{message.id}/acknowledge", headers=headers) as ack:
                assert ack.status == 204
            assert (await _snapshot(stream, lambda s: s["alerts"] == []))["alerts"] == []
        async with http.post(f"/api/messages/{message.id}/acknowledge", headers=headers) as twice:
            assert twice.status == 409
    assert (await world.results(message.id))[-1] == ("alert", "acknowledged")


@pytest.mark.parametrize("steps", [[{"channel": "sms", "to": "backup", "wait_s": 60},
                                    {"channel": "email", "to": "on_call", "wait_s": 60}]])
async def test_steps_that_cannot_start_are_failed_attempts_and_the_next_runs_at_once(world: World) -> None:
    """A contact removed from the directory since, then Marie by email: no wait for the first deadline."""
    await world.store.write(lambda db: contacts.remove_contact(db, "1000", world.backup))
    message = await world.take()
    await world.until(lambda: world.smtp.inbox.messages, 5, "the email to Marie")
    assert world.smtp.inbox.messages[0]["To"] == "marie@example.org"
    _, history = await world.message(message.id)
    assert [(e.step, e.channel, e.result, e.detail) for e in history] == [
        (0, "sms", "failed", f"no contact {world.backup}"), (1, "email", "sent", history[1].detail)]
    assert "Pour confirmer" not in world.smtp.inbox.messages[0].get_content()  # Marie reads French
    assert "Confirmez que vous l'avez reçu" in world.smtp.inbox.messages[0].get_content()


async def _snapshot(stream: aiohttp.ClientResponse, wanted=lambda s: True, timeout: float = 15) -> dict:
    """The next snapshot of the live view's event stream that is `wanted`."""
    async def read() -> dict:
        async for line in stream.content:
            if line.startswith(b"data: "):
                snapshot = json.loads(line[6:])
                if wanted(snapshot):
                    return snapshot
        raise AssertionError("the live stream ended")
    return await asyncio.wait_for(read(), timeout)


async def _status(world: World, message_id: int, status: str) -> bool:
    return (await world.message(message_id))[0].status == status
