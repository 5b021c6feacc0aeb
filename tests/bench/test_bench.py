"""The bench runs end to end with tiny counts: every session of both sides completes as it should, and
the tables carry every figure. Speed is not asserted: only that there is a positive number."""

from __future__ import annotations

import json

from bench import scenario as sc
from bench.agi_client import FAULTS, Callers, DnisOutcome, check_dnis, check_ivr, uniqueid
from bench.report import as_json, table
from bench.runner import QUICK, BenchConfig, run

TINY = BenchConfig(dnis={c: 12 for c in QUICK.dnis}, ivr={c: 12 for c in QUICK.ivr}, faults=(10,), rounds=1,
                   warmup=8)


async def test_tiny_bench_completes_every_session() -> None:
    report = await run(TINY)

    assert report.problems == []
    assert report.ok
    assert [(r.benchmark, r.concurrency) for r in report.results] == [
        ("fastagi-dnis", 1), ("fastagi-dnis", 10), ("fastagi-dnis", 50),
        ("fastagi-ivr", 1), ("fastagi-ivr", 10), ("fastagi-ivr", 50)]
    for result in report.results:
        for side in ("figure", "baseline"):
            assert len(result.rates[side]) == 1 and result.rates[side][0] > 0
            assert sum(result.failures[side].values()) == 0
            assert result.p99(side) > 0
        assert result.ratio > 0
        assert result.p99_ratio > 0
    assert [(f.fault, f.concurrency) for f in report.faults] == [(fault, 10) for fault in FAULTS]
    for fault in report.faults:
        assert fault.connections >= 1
        assert sum(fault.failures.values()) == 0
        assert fault.p99("with") > 0 and fault.p99("without") > 0 and fault.ratio > 0
    for side in ("figure", "baseline"):  # both caller paths were taken on both sides
        assert report.callers[side]["new"] > 0 and report.callers[side]["known"] > 0

    data = json.loads(as_json(report))
    assert data["ok"] is True
    assert all(row["ratio"] > 0 and row["figure_p99_ms"] > 0 and row["baseline_p99_ms"] > 0
               for row in data["results"])
    assert all(row["p99_with_ms"] > 0 and row["p99_without_ms"] > 0 for row in data["faults"])
    text = table(report)
    assert "failures: none" in text
    assert ">= 0.90" in text and "< 1.50" in text


def test_callers_one_in_five_is_a_first_call() -> None:
    numbers = [sc.caller_number(k) for k in range(5000)]
    assert numbers[0] == "5145551234"
    assert len(set(numbers)) == 1000
    assert sum(n not in numbers[:k] for k, n in enumerate(numbers)) == 1000  # 1 call in 5 is a first call
    last: dict[str, int] = {}
    for k, number in enumerate(numbers):  # past the start, a returning caller's calls are 500 calls apart
        if k >= 2500 and number in last:
            assert k - last[number] >= 500
        last[number] = k


def _dnis_lines(linkedid: str, caller: str, known: bool) -> list[bytes]:
    lines = [sc.get_variable("CHANNEL(linkedid)"), sc.set_variable("DID", sc.DID),
             sc.set_variable("CLIENT_CODE", sc.CLIENT_CODE), sc.set_variable("CHANNEL(language)", sc.LANGUAGE),
             sc.set_variable("IVR_MENU_ENTRY", sc.MENU),
             sc.set_variable("RECORDING_FILE", f"{sc.CLIENT_CODE}/2026/01/02/{linkedid}"),
             sc.set_variable("CALLER_ANONYMOUS", "0"), sc.set_variable("CALLER_NUMBER", sc.e164(caller)),
             sc.set_variable("CALLER_KNOWN", "1" if known else "0"),
             sc.set_variable("CALLER_CALLS", "3" if known else "1"),
             sc.set_variable("CALLER_NAME", sc.CALLER_NAME)]
    if known:
        lines.append(sc.set_variable("CALLER_LAST_CALL", "2026-01-01T10:00:00.000Z"))
    return [*lines, sc.set_variable("DNIS_STATUS", "found")]


def test_the_checks_take_what_the_routes_send_and_nothing_else() -> None:
    linkedid, caller = uniqueid(7), sc.caller_number(0)
    assert check_dnis(_dnis_lines(linkedid, caller, known=False), linkedid, caller) == DnisOutcome(False, 1)
    assert check_dnis(_dnis_lines(linkedid, caller, known=True), linkedid, caller) == DnisOutcome(True, 3)
    wrong = _dnis_lines(linkedid, caller, known=True)
    del wrong[-2]  # a known caller without CALLER_LAST_CALL
    assert isinstance(check_dnis(wrong, linkedid, caller), str)
    assert isinstance(check_dnis(_dnis_lines(linkedid, caller, known=False), uniqueid(8), caller), str)
    assert isinstance(check_dnis(_dnis_lines(linkedid, caller, known=False), linkedid, sc.caller_number(5)), str)

    for index, placeholder in enumerate(sc.IVR_EXCHANGES):
        exchange = sc.at_time(placeholder, 1_790_000_000.25)
        assert check_ivr(list(exchange), index) is None
        assert isinstance(check_ivr(list(placeholder), index), str)  # a place in the queue is a time
        assert isinstance(check_ivr(list(exchange[:-1]), index), str)  # IVR_ACTION missing
        assert isinstance(check_ivr([*exchange[:3], *exchange[4:]], index), str)  # a prompt not played
    assert sc.IVR_EXCHANGES[2][-1] == sc.set_variable("IVR_ACTION", "queue")
    assert not any(b"menu-main" in line for line in sc.IVR_EXCHANGES[2])  # '1' pressed during welcome


def test_callers_catch_a_call_counted_twice() -> None:
    callers = Callers()
    callers.record("5145551234", DnisOutcome(False, 1))
    callers.record("5145551234", DnisOutcome(True, 2))
    assert callers.problems() == []
    callers.record("5145551234", DnisOutcome(True, 2))
    assert callers.problems() == ["1 caller(s) counted wrong, e.g. 5145551234: CALLER_CALLS [1, 2, 2]"]
    assert (callers.new, callers.known) == (1, 2)
