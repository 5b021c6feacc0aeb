"""GET /api/sms/delivery against hostile or broken requests: a wrong or missing token answers as the replies'
route does and writes nothing; a malformed parameter is a 400 naming it and writes nothing; an unknown
attempt is ignored (200, logged); a rejection wakes the dispatcher, an acceptance does not."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp.test_utils import TestClient, TestServer

from store import Store, dispatch, messages
from web import make_app
from web.messages import MessagingSettings

from .conftest import _seed

TOKEN = "dlrtoken0123456789"
NUMBER = "+15145550123"


@dataclass
class Gateway:
    client: TestClient
    store: Store
    attempt: dispatch.Attempt
    wakes: list[int] = field(default_factory=list)

    async def rows(self) -> int:
        return await self.store.read(lambda db: db.execute("SELECT count(*) FROM message_history").fetchone()[0])


@pytest.fixture
async def gateway(tmp_path) -> AsyncIterator[Gateway]:
    store = Store(tmp_path / "s.sqlite3")
    store.open()

    def seed(db) -> dispatch.Attempt:
        _seed(db, tmp_path / "recordings")
        message = messages.create_message(db, "1000", "root", text="Fuite d'eau")
        attempt = dispatch.begin_step(db, message, 0, message.created_at, recipient=NUMBER, contact_id=None)
        dispatch.attempt_sent(db, attempt)
        return attempt

    attempt = await store.write(seed)
    wakes: list[int] = []
    app = make_app(store, tmp_path / "recordings",
                   messaging=MessagingSettings(TOKEN, "CA", lambda: wakes.append(1)))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Gateway(client, store, attempt, wakes)
    finally:
        await client.close()
        store.close()


async def test_a_wrong_or_missing_token_is_the_replies_routes_answer_and_writes_nothing(gateway: Gateway) -> None:
    before = await gateway.rows()
    inbound = await gateway.client.get(f"/api/sms/inbound?token=guess&from={NUMBER}&text=ABCD")
    refused = (inbound.status, await inbound.text())
    assert refused == (404, '{"error": "not found"}')
    for token in ("token=guess&", "token=&", "", f"token={TOKEN}x&", f"token={TOKEN[:-1]}&"):
        resp = await gateway.client.get(f"/api/sms/delivery?{token}attempt={gateway.attempt.id}&status=16")
        assert (resp.status, await resp.text()) == refused, token
    # Even a malformed report says nothing more to a caller without the token.
    assert (await gateway.client.get("/api/sms/delivery?attempt=abc&status=x")).status == 404
    assert await gateway.rows() == before and gateway.wakes == []


@pytest.mark.parametrize(("query", "parameter"), [
    ("attempt=abc&status=8", "attempt"), ("status=8", "attempt"), ("attempt=-1&status=8", "attempt"),
    ("attempt={id}&status=", "status"), ("attempt={id}&status=%25d", "status"), ("attempt={id}&status=4", "status"),
    ("attempt={id}", "status"),
])
async def test_a_malformed_parameter_is_a_400_naming_it_and_writes_nothing(gateway: Gateway, query: str,
                                                                           parameter: str) -> None:
    before = await gateway.rows()
    resp = await gateway.client.get(f"/api/sms/delivery?token={TOKEN}&" + query.format(id=gateway.attempt.id))
    assert resp.status == 400
    answer = await resp.json()
    assert answer["parameter"] == parameter and answer["error"].startswith(f"{parameter}: "), answer
    assert await gateway.rows() == before


async def test_an_unknown_attempt_is_ignored_and_logged(gateway: Gateway, caplog) -> None:
    before = await gateway.rows()
    with caplog.at_level(logging.WARNING, logger="web.sms_delivery"):
        resp = await gateway.client.get(f"/api/sms/delivery?token={TOKEN}&attempt=987654&status=16&reply=NACK")
    assert (resp.status, await resp.text()) == (200, "")
    assert await gateway.rows() == before and gateway.wakes == []
    assert "attempt 987654" in caplog.text and "ignored" in caplog.text


async def test_a_rejection_is_written_and_wakes_the_dispatcher_an_acceptance_does_not(gateway: Gateway) -> None:
    base = f"/api/sms/delivery?token={TOKEN}&attempt={gateway.attempt.id}"
    accepted = await gateway.client.get(base + "&status=8&reply=ACK%2F")
    assert (accepted.status, await accepted.text()) == (200, "") and gateway.wakes == []
    rejected = await gateway.client.get(base + "&status=16&reply=NACK%2F0x0000000b%2FInvalid+Destination")
    assert rejected.status == 200 and gateway.wakes == [1]
    history = await gateway.store.read(lambda db: messages.history(db, gateway.attempt.message_id))
    assert [(e.result, e.detail) for e in history] == [
        ("sent", ""), ("sms_accepted", "ACK/"), ("sms_rejected", "NACK/0x0000000b/Invalid Destination")]
    assert history[0].delivery == "rejected" and history[0].delivery_at == history[2].at
