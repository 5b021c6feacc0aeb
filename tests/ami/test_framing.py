"""AMI framing under hostile TCP: a message cut at every byte, a 1 MB response, garbage."""

from __future__ import annotations

import asyncio

import pytest

from ami import AMIClient
from ami.protocol import AMIProtocolError, parse_banner

from .fake_ami import block
from .test_client import running, wait_until


async def test_a_message_cut_at_every_byte_position_arrives_whole(fake):
    received: list = []
    async with running(fake, received) as client:
        await client.wait_connected(2)
        data = block(Event="Newchannel", Linkedid="1.1", CallerIDName="Hélène Côté", Exten="5145550100")
        for cut in range(1, len(data)):
            await fake.send(data, split_at=cut)
        await wait_until(lambda: len(received) == len(data) - 1, timeout=20)
    assert {m["CallerIDName"] for m in received} == {"Hélène Côté"}
    assert {m["Exten"] for m in received} == {"5145550100"}


async def test_a_one_megabyte_list_response_is_read(fake):
    async with running(fake, []) as client:
        await client.wait_connected(2)
        big = "x" * 1000
        events = b"".join(block(Event="CoreShowChannel", ActionID="{id}", Channel=f"PJSIP/{n}", Pad=big)
                          for n in range(1000))

        async def answer_big() -> None:
            await wait_until(lambda: any(a.get("Action") == "CoreShowChannels" for a in fake.actions))
            action_id = next(a["ActionID"] for a in fake.actions if a.get("Action") == "CoreShowChannels")
            payload = block(Response="Success", ActionID=action_id, EventList="start")
            payload += events.replace(b"{id}", action_id.encode())
            payload += block(Event="CoreShowChannelsComplete", ActionID=action_id, EventList="Complete")
            await fake.send(payload)

        fake.list_answer = False
        task = asyncio.create_task(answer_big())
        result = await client.list_action({"Action": "CoreShowChannels"}, timeout=10)
        await task
    assert len(result) == 1000 and result[-1]["Channel"] == "PJSIP/999"


def test_a_peer_that_is_not_asterisk_is_refused():
    with pytest.raises(AMIProtocolError):
        parse_banner(b"SSH-2.0-OpenSSH_9.2\r\n")
    assert parse_banner(b"Asterisk Call Manager/11.0.0\r\n") == "11.0.0"


async def test_an_oversized_message_drops_the_connection_and_it_comes_back(fake):
    received: list = []
    async with running(fake, received) as client:
        await client.wait_connected(2)
        await fake.send(b"Event: Flood\r\nX: " + b"y" * (2 << 20) + b"\r\n\r\n")
        await wait_until(lambda: fake.logins >= 2 and client.connected, timeout=5)
        assert "larger than" in client.stats.last_error
        await fake.send(block(Event="Newchannel", Linkedid="2.1"))
        await wait_until(lambda: any(m.get("Linkedid") == "2.1" for m in received))
    assert isinstance(client, AMIClient)
