"""The checkin route over real TCP: client code and PIN over DTMF against a real store, the attempts
logged, the lock-out after repeated wrong PINs, and the same scrypt work whether the code exists or not.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

import agi.routes.checkin as checkin_route
from agi.routes import CheckinPolicy, CheckinRoute
from ivr import variables as v
from store import checkin
from store.clock import iso
from store.passwords import DUMMY_HASH, LOG2_N, P, R, hash_password

from .fake_asterisk import LINKEDID, agi_headers, call
from .keypad import PROMPTS, Caller, keys
from .support import agi_records, router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")

T0 = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
PIN = "4321"
CALLER = "+15145551234"  # agi_callerid 5145551234 in E.164


def common(name: str) -> str:
    return f"{PROMPTS}/fr/{name}"


@pytest.fixture
async def pin_hash(store) -> str:
    hashed = hash_password(PIN, log2_n=10)
    await store.write(lambda db: checkin.set_pin(db, "1000", hashed))
    return hashed


async def checkin_server(serve, store, clock=T0, **policy):
    route = CheckinRoute(store, PROMPTS, CheckinPolicy(**policy), clock=lambda: clock)
    return await serve(router_with(checkin=route))


async def attempts(store) -> list[tuple]:
    rows = await store.read(lambda db: checkin.attempts(db))
    return [(r["outcome"], r["client_code"], r["caller"], r["linkedid"], r["at"]) for r in reversed(rows)]


async def test_right_code_and_pin_reach_the_team_leaders(serve, store, pin_hash, caplog):
    server = await checkin_server(serve, store)
    caller = Caller(keys("1000#", f"{PIN}#"))
    commands = await call(server.port, agi_headers("checkin"), otherwise=caller)

    assert caller.variables[v.CHECKIN_CLIENT] == "1000"
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("queue", "team-leaders")
    assert caller.set_order[-1] == v.IVR_ACTION and caller.set_order.count(v.IVR_ACTION) == 1
    assert caller.streamed == [common("enter-client-code"), common("enter-pin"), common("checkin-welcome")]
    assert caller.waits == [8000] * 8  # 000# then 321#: the first digit of each cut its prompt short
    assert "WAIT FOR DIGIT 8000" in commands
    assert await attempts(store) == [("ok", "1000", CALLER, LINKEDID, iso(T0))]
    state = await store.read(lambda db: checkin.checkin_state(db, "1000"))
    assert (state.failures, state.locked_until) == (0, None)
    await settled(server)
    assert (server.stats.handler_errors, server.stats.hangups) == (0, 0)
    assert agi_records(caplog, logging.ERROR) == []


async def test_a_withheld_caller_is_logged_without_a_number(serve, store, pin_hash):
    server = await checkin_server(serve, store)
    caller = Caller(keys("1000#", f"{PIN}#"))
    await call(server.port, agi_headers("checkin", agi_callerid="anonymous"), otherwise=caller)
    assert await attempts(store) == [("ok", "1000", None, LINKEDID, iso(T0))]


async def test_wrong_pins_lock_the_client(serve, store, pin_hash):
    server = await checkin_server(serve, store, lock_after=2)
    caller = Caller(keys("1000#", "9999#", "1000#", "8888#", "1000#", f"{PIN}#"))
    commands = await call(server.port, agi_headers("checkin"), otherwise=caller)

    assert [a[:2] for a in await attempts(store)] == [("bad_pin", "1000"), ("bad_pin", "1000")]
    state = await store.read(lambda db: checkin.checkin_state(db, "1000"))
    assert state.locked_until == iso(T0 + timedelta(minutes=15)) and state.locked(T0)
    assert v.CHECKIN_CLIENT not in caller.variables
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("hangup", "")
    assert caller.set_order[-1] == v.IVR_ACTION
    assert caller.streamed == [
        common("enter-client-code"), common("enter-pin"), common("checkin-failed"),
        common("enter-client-code"), common("enter-pin"), common("checkin-locked"), common("goodbye"),
    ]
    assert f'STREAM FILE {common("checkin-locked")} ""' in commands
    assert caller.keys == keys("1000#", f"{PIN}#")  # no third try once locked


async def test_a_locked_client_is_refused_even_with_the_right_pin(serve, store, pin_hash):
    until = iso(T0 + timedelta(minutes=5))
    await store.write(lambda db: db.execute(
        "UPDATE clients SET checkin_locked_until = ? WHERE code = '1000'", [until]))
    server = await checkin_server(serve, store)
    caller = Caller(keys("1000#", f"{PIN}#"))
    await call(server.port, agi_headers("checkin"), otherwise=caller)

    assert [a[:3] for a in await attempts(store)] == [("locked", "1000", CALLER)]
    assert v.CHECKIN_CLIENT not in caller.variables
    assert caller.variables[v.IVR_ACTION] == "hangup"
    assert caller.streamed[-2:] == [common("checkin-locked"), common("goodbye")]
    state = await store.read(lambda db: checkin.checkin_state(db, "1000"))
    assert state.locked_until == until  # a refused call does not extend the lock

    # Once the lock has run out, the same PIN gets through.
    later = await checkin_server(serve, store, clock=T0 + timedelta(minutes=6))
    caller = Caller(keys("1000#", f"{PIN}#"))
    await call(later.port, agi_headers("checkin"), otherwise=caller)
    assert caller.variables[v.CHECKIN_CLIENT] == "1000"
    assert (await attempts(store))[-1][0] == "ok"


@pytest.mark.parametrize("code", ["9999#", "123456", "12*4#"])  # six digits need no '#'
async def test_unknown_client_code_is_logged_without_a_code(serve, store, pin_hash, code):
    server = await checkin_server(serve, store, attempts_per_call=1)
    caller = Caller(keys(code, f"{PIN}#"))
    await call(server.port, agi_headers("checkin"), otherwise=caller)
    assert caller.keys == []
    assert await attempts(store) == [("unknown_client", None, CALLER, LINKEDID, iso(T0))]
    assert v.CHECKIN_CLIENT not in caller.variables
    assert caller.variables[v.IVR_ACTION] == "hangup"
    assert caller.streamed == [common("enter-client-code"), common("enter-pin"), common("checkin-failed"),
                               common("goodbye")]


async def test_a_client_without_a_pin_is_an_unknown_client(serve, store):
    server = await checkin_server(serve, store, attempts_per_call=1)
    caller = Caller(keys("1000#", "0000#"))
    await call(server.port, agi_headers("checkin"), otherwise=caller)
    assert [a[:2] for a in await attempts(store)] == [("unknown_client", None)]
    assert v.CHECKIN_CLIENT not in caller.variables


async def test_no_input_is_logged_for_each_attempt(serve, store, pin_hash):
    server = await checkin_server(serve, store)
    caller = Caller([])
    await call(server.port, agi_headers("checkin"), otherwise=caller)
    assert [a[:3] for a in await attempts(store)] == [("no_input", None, CALLER)] * 3
    assert caller.streamed == [common("enter-client-code")] * 3 + [common("goodbye")]
    assert caller.waits == [8000] * 3
    assert (caller.variables[v.IVR_ACTION], caller.variables[v.IVR_TARGET]) == ("hangup", "")
    state = await store.read(lambda db: checkin.checkin_state(db, "1000"))
    assert (state.failures, state.locked_until) == (0, None)


async def test_unknown_code_and_wrong_pin_cost_the_same_scrypt_work(serve, store, pin_hash, monkeypatch):
    """The line must not tell which codes exist: both paths verify the PIN against a scrypt hash."""
    verified: list[tuple[str, str]] = []
    real = checkin_route.verify_password

    def counting(pin: str, stored: str) -> bool:
        verified.append((pin, stored))
        return real(pin, stored)

    monkeypatch.setattr(checkin_route, "verify_password", counting)
    server = await checkin_server(serve, store, attempts_per_call=1)

    await call(server.port, agi_headers("checkin"), otherwise=Caller(keys("9999#", "5555#")))
    assert verified == [("5555", DUMMY_HASH)]
    await call(server.port, agi_headers("checkin"), otherwise=Caller(keys("1000#", "5555#")))
    assert verified == [("5555", DUMMY_HASH), ("5555", pin_hash)]
    assert [a[0] for a in await attempts(store)] == ["unknown_client", "bad_pin"]
    # The dummy costs what a PIN hashed with the production parameters costs.
    assert DUMMY_HASH.split("$")[:4] == ["scrypt", str(LOG2_N), str(R), str(P)]
