from __future__ import annotations

import asyncio
import contextlib

import pytest

from ami import AMIClient, AMIError

from .fake_ami import FakeAMI, block


@contextlib.asynccontextmanager
async def running(fake: FakeAMI, received: list, **kw):
    async def on_event(message):
        received.append(message)

    client = AMIClient("127.0.0.1", fake.port, "permanence", "secret-secret", on_event=on_event,
                       backoff_min=0.05, backoff_max=0.2, **kw)
    task = asyncio.create_task(client.run())
    try:
        yield client
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def wait_until(predicate, timeout=3.0):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)



async def test_utf8_character_split_across_reads_survives(fake):
    # panoramisk 1.4 decodes each TCP chunk alone with errors='ignore': the 'é' would vanish.
    received: list = []
    async with running(fake, received) as client:
        await client.wait_connected(2)
        data = block(Event="Newchannel", Linkedid="1.1", CallerIDName="Stéphane Côté")
        await fake.send(data, split_at=data.index("é".encode()) + 1)
        await wait_until(lambda: received)
    assert received[0]["CallerIDName"] == "Stéphane Côté"


async def test_events_reach_the_handler_in_order_even_when_it_is_slow(fake):
    received: list = []

    async def slow(message):
        await asyncio.sleep(0.01 if int(message["Seq"]) % 2 else 0)
        received.append(int(message["Seq"]))

    client = AMIClient("127.0.0.1", fake.port, "u", "secret-secret", on_event=slow)
    task = asyncio.create_task(client.run())
    try:
        await client.wait_connected(2)
        await fake.send(b"".join(block(Event="Newstate", Linkedid="1", Seq=str(i)) for i in range(50)))
        await wait_until(lambda: len(received) == 50)
    finally:
        await client.close()
        task.cancel()
    assert received == list(range(50))


async def test_a_silent_peer_is_detected_by_ping_and_reconnected(fake):
    received: list = []
    async with running(fake, received, ping_interval=0.1, ping_timeout=0.2) as client:
        await client.wait_connected(2)
        fake.answer_pings = False
        await wait_until(lambda: not client.connected, timeout=2)
        fake.answer_pings = True
        await wait_until(lambda: client.connected and fake.logins >= 2, timeout=3)
        assert "Ping" in client.stats.last_error


async def test_reconnects_after_the_server_drops_it(fake):
    received: list = []
    async with running(fake, received) as client:
        await client.wait_connected(2)
        fake.drop_clients()
        await wait_until(lambda: fake.logins >= 2 and client.connected)
        assert client.stats.connects == 2


async def test_a_refused_login_is_retried_not_fatal(fake):
    fake.accept_login = False
    received: list = []
    async with running(fake, received) as client:
        await wait_until(lambda: fake.logins >= 2)
        assert not client.connected
        assert "Authentication failed" in client.stats.last_error
        fake.accept_login = True
        await client.wait_connected(2)


async def test_list_actions_collect_their_events(fake):
    async with running(fake, []) as client:
        await client.wait_connected(2)
        events = await client.list_action({"Action": "CoreShowChannels"})
        assert [e["Channel"] for e in events] == ["PJSIP/a-1"]
        with pytest.raises(ValueError, match="line break"):
            await client.action({"Action": "Ping", "X": "a\r\nAction: Originate"})


async def test_actions_fail_fast_when_disconnected():
    client = AMIClient("127.0.0.1", 1, "u", "secret-secret", on_event=lambda m: None)
    with pytest.raises(AMIError, match="not connected"):
        await client.action({"Action": "Ping"})
