"""Login rate limits: failures per account and per address in a sliding window, 429 with Retry-After."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from web.ratelimit import Limited, LoginLimiter, SlidingWindow
from web.security import SecuritySettings

from .conftest import PASSWORDS, Api

WINDOW = timedelta(minutes=15)
TIGHT = SecuritySettings(failures_per_account=3, failures_per_address=6, failure_window=WINDOW,
                         trusted_proxies=("127.0.0.1",))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_account_limit_slides_with_time():
    clock = Clock()
    limiter = LoginLimiter(3, 100, WINDOW, clock=clock)
    for step in range(3):
        limiter.begin("alice", "10.0.0.1")
        clock.now += 60 * (step + 1)  # failures at 1000, 1060, 1180; now 1360
    with pytest.raises(Limited) as caught:
        limiter.begin("alice", "10.0.0.2")
    assert caught.value.what == "account"
    assert caught.value.retry_after == 1000 + 900 - 1360  # until the oldest failure leaves the window
    with pytest.raises(Limited):
        limiter.begin("ALICE", "10.0.0.3")  # one count whatever the case
    clock.now = 1900.5  # the first failure has left the window: one more attempt
    limiter.begin("alice", "10.0.0.1")
    with pytest.raises(Limited) as caught:
        limiter.begin("alice", "10.0.0.1")
    assert caught.value.retry_after == 60  # 1060 + 900 - 1900.5, rounded up
    limiter.begin("bob", "10.0.0.1")  # another account is not affected


def test_the_address_limit_counts_every_account():
    clock = Clock()
    limiter = LoginLimiter(100, 3, WINDOW, clock=clock)
    for login in ("a", "b", "c"):
        limiter.begin(login, "10.0.0.1")
    with pytest.raises(Limited) as caught:
        limiter.begin("d", "10.0.0.1")
    assert caught.value.what == "address" and caught.value.retry_after == 900
    limiter.begin("d", "10.0.0.2")


def test_a_success_clears_the_account_and_is_not_a_failure_of_the_address():
    clock = Clock()
    limiter = LoginLimiter(3, 4, WINDOW, clock=clock)
    for _ in range(2):
        limiter.begin("alice", "10.0.0.1")
    limiter.succeeded(limiter.begin("alice", "10.0.0.1"))
    for _ in range(2):  # without the reset this would be the account's 4th and 5th failures
        limiter.begin("alice", "10.0.0.1")
    # The address keeps its own four failures (the success did not count), so the next is refused.
    with pytest.raises(Limited) as caught:
        limiter.begin("bob", "10.0.0.1")
    assert caught.value.what == "address"


def test_a_window_forgets_the_stalest_keys_beyond_its_bound():
    window = SlidingWindow(1, 60, max_keys=3)
    for n, key in enumerate(("a", "b", "c", "d")):
        window.add(key, float(n))
    assert len(window) == 3
    assert window.retry_after("a", 4.0) == 0  # forgotten
    assert window.retry_after("d", 4.0) == 59


async def _login(api: Api, login: str, password: str, address: str = "10.0.0.1", route: str = "/api/login"):
    return await api.client.post(route, json={"login": login, "password": password},
                                 headers={"X-Forwarded-For": address})


async def test_brute_force_on_an_account_is_429_with_retry_after(make_api):
    api = await make_api(TIGHT)
    for _ in range(3):
        assert (await _login(api, "alice", "guess")).status == 401
    # Limited: even the right password is not checked, from any address, on either login route.
    for route, address in (("/api/login", "10.0.0.1"), ("/api/session", "10.0.0.9")):
        resp = await _login(api, "alice", PASSWORDS["alice"], address, route)
        assert resp.status == 429, route
        assert 890 <= int(resp.headers["Retry-After"]) <= 900
        error = (await resp.json())["error"]
        assert error.startswith("too many failed logins for this account") and resp.headers["Retry-After"] in error
    assert (await _login(api, "bob", PASSWORDS["bob"])).status == 200  # another account logs in


async def test_an_unknown_login_is_limited_exactly_like_a_real_one(make_api):
    api = await make_api(TIGHT)
    for login in ("alice", "ghost"):
        statuses = [(await _login(api, login, "guess", f"10.0.1.{n}")).status for n in range(4)]
        assert statuses == [401, 401, 401, 429], login


async def test_brute_force_from_an_address_is_429_for_every_account(make_api):
    api = await make_api(TIGHT)
    for n in range(6):  # six accounts, one guess each: under the account limit, at the address limit
        assert (await _login(api, f"user{n}", "guess", "10.0.0.7")).status == 401
    resp = await _login(api, "root", PASSWORDS["root"], "10.0.0.7")
    assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
    assert (await resp.json())["error"].startswith("too many failed logins for this address")
    assert (await _login(api, "root", PASSWORDS["root"], "10.0.0.8")).status == 200  # another address


async def test_a_success_resets_the_accounts_count(make_api):
    api = await make_api(TIGHT)
    for address in ("10.0.2.1", "10.0.2.2", "10.0.2.3"):
        for _ in range(2):
            assert (await _login(api, "alice", "guess", address)).status == 401
        assert (await _login(api, "alice", PASSWORDS["alice"], address)).status == 200


async def test_concurrent_guesses_cannot_overrun_the_limit(make_api):
    api = await make_api(TIGHT)
    responses = await asyncio.gather(*(_login(api, "alice", f"guess{n}", f"10.0.3.{n}") for n in range(10)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [401] * 3 + [429] * 7


async def test_the_default_limits(make_api):
    api = await make_api()
    statuses = [(await api.client.post("/api/login", json={"login": "alice", "password": "x"})).status
                for _ in range(6)]
    assert statuses == [401] * 5 + [429]
