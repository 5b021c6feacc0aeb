"""The tokens' users and the recordings' rows kept in memory (store.access_cache) are dropped at once by
every change that could alter an answer, made from another connection as the CLI would: each test
first shows the second fetch came from memory (no read), then that the change applies to the very
next request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from store import clients, retention, users
from store.clock import iso, now_iso
from store.db import connect

from .conftest import Api
from .history_data import bearer


async def _cached(api: Api, login: str = "alice") -> tuple[dict[str, str], str]:
    """A token of `login` and the URL of one of client 1000's recordings, the second fetch from memory."""
    headers = await bearer(api, login)
    calls = (await (await api.client.get("/api/calls?has_recording=true", headers=headers)).json())["calls"]
    url = f"/api/recordings/{calls[0]['recordings'][0]['id']}"
    assert (await api.client.get(url, headers=headers)).status == 200
    reads = api.store.access.reads
    assert (await api.client.get(url, headers=headers)).status == 200
    assert api.store.access.reads == reads  # neither the token nor the recording was read again
    return headers, url


def _elsewhere(api: Api, change: Callable) -> None:
    """The change committed by a connection of its own (another process, as the CLI)."""
    db = connect(api.store.path)
    try:
        with db.conn:
            change(db)
    finally:
        db.close()


async def test_logout_ends_the_cached_token(api: Api):
    headers, url = await _cached(api)
    assert (await api.client.post("/api/logout", headers=headers)).status == 204
    assert (await api.client.get(url, headers=headers)).status == 401


@pytest.mark.parametrize("change", [
    pytest.param(lambda db: users.set_password(db, "alice", "x" * 60), id="password changed"),
    pytest.param(lambda db: users.remove_user(db, "alice"), id="user removed"),
    pytest.param(lambda db: users.revoke_all(db, "alice"), id="tokens revoked"),
])
async def test_a_change_of_account_ends_the_cached_token(api: Api, change):
    headers, url = await _cached(api)
    _elsewhere(api, change)
    assert (await api.client.get(url, headers=headers)).status == 401


async def test_a_user_moved_to_another_client_loses_the_cached_recording(api: Api):
    headers, url = await _cached(api)
    _elsewhere(api, lambda db: db.execute("UPDATE users SET client_code = '2000' WHERE login = 'alice'"))
    assert (await api.client.get(url, headers=headers)).status == 404


async def test_a_purge_applies_to_the_cached_recording(api: Api):
    headers, url = await _cached(api)
    rid = int(url.rsplit("/", 1)[1])
    _elsewhere(api, lambda db: retention.mark_purged(db, [rid], now_iso()))
    assert (await api.client.get(url, headers=headers)).status == 410


async def test_a_shorter_window_hides_the_cached_recording(api: Api):
    month_ago = iso(datetime.now(UTC) - timedelta(days=30))
    _elsewhere(api, lambda db: db.execute("UPDATE calls SET started_at = ? WHERE client_code = '1000'", [month_ago]))
    headers, url = await _cached(api)
    _elsewhere(api, lambda db: clients.update_client(db, "1000", history_days=7))
    assert (await api.client.get(url, headers=headers)).status == 404
    admin, _ = await _cached(api, "root")  # an admin has no window
    assert (await api.client.get(url, headers=admin)).status == 200
