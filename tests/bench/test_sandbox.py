"""The end-to-end bench (bench.sandbox): a few calls on each route through the real sandbox all succeed
and the figure's calls have their IVR path in the history; and the search climbs and bisects as said."""

from __future__ import annotations

import json
import math
import time

import pytest

from bench import sandbox as sb
from bench.report import sandbox_json, sandbox_table
from tests.e2e.sipp import keypress_scenario


@pytest.mark.asterisk
def test_a_few_calls_on_each_route_all_succeed(tmp_path) -> None:
    with sb.running(tmp_path) as system:
        steps = [system.step(route, 2.0, 5) for route in sb.ROUTES]
        lookups = system.failed_lookups()
    figure, baseline = steps
    for step in steps:
        assert (step.failed, dict(step.reasons)) == (0, {}), sb.step_line(step)
        assert step.ok
        assert len(step.durations) == 5 and all(3.0 < d < 10.0 for d in step.durations), step.durations
    assert figure.paths == [sb.EXPECTED_PATH] * 5  # every figure call's IVR path, from the store
    assert baseline.paths == []

    report = sb.SandboxReport(sb.QUICK, steps=steps, best={"figure": 2.0, "baseline": 2.0},
                              lowest_failed={"figure": math.inf, "baseline": math.inf})
    text = sandbox_table(report)
    assert "sandbox-ivr" in text and ">= 0.80" in text and "failures: none" in text
    assert sb.step_line(figure) in text and sb.step_line(baseline) in text
    data = json.loads(json.dumps(sandbox_json(report)))
    assert data["ratio"] == 1.0 and data["target_met"] is True and len(data["steps"]) == 2
    assert lookups >= 0


def _step(route: str, rate: float, failed: int, calls: int = 100) -> sb.Step:
    return sb.Step(route, rate, calls, failed=failed)


def test_the_search_climbs_the_ladder_then_bisects() -> None:
    search = sb.RouteSearch("figure", (20, 40, 80, 160), bisect=2, resolution=1.0)
    assert search.next_rate() == 20
    search.record(_step("figure", 20, 0))
    assert search.next_rate() == 40
    search.record(_step("figure", 40, 0))
    search.record(_step("figure", 80, 1, calls=480))  # 0.2 %: holds
    assert search.next_rate() == 160
    search.record(_step("figure", 160, 10))
    assert search.next_rate() == 120  # between 80 (held) and 160 (failed)
    search.record(_step("figure", 120, 1, calls=99))  # 1 of 99 is 1.01 %: fails
    assert search.next_rate() == 100
    search.record(_step("figure", 100, 0))
    assert search.next_rate() is None  # two bisection steps done
    assert (search.passed, search.failed) == (100, 120)


def test_a_route_failing_at_the_first_rung_bisects_below_it() -> None:
    search = sb.RouteSearch("baseline", (20, 40), bisect=2, resolution=1.0)
    search.record(_step("baseline", 20, 5))
    assert search.next_rate() == 10
    search.record(_step("baseline", 10, 0))
    assert search.next_rate() == 15


def test_the_ratio_and_the_target() -> None:
    report = sb.SandboxReport(sb.FULL, best={"figure": 80.0, "baseline": 100.0})
    assert report.ratio == 0.8 and report.met
    report.best["figure"] = 70.0
    assert not report.met
    report.best["baseline"] = 0.0
    assert math.isnan(report.ratio) and not report.met


def test_the_caller_waits_a_bounded_time_and_logs_the_calls_it_saw_through(tmp_path) -> None:
    scenario = keypress_scenario(sb.ACTIONS, tmp_path, name=sb.CALLER_NAME.format(step=3), callee_hangs_up=True)
    bounded = sb._bounded(scenario)
    assert f'recv request="BYE" timeout="{int(sb.CALL_TIMEOUT * 1000)}"' in bounded
    assert bounded.rstrip().endswith(sb.LOG_OK + "</scenario>")
    assert '"Bench 3 [call_number]"' in bounded
    assert len(list(tmp_path.glob("dtmf-*.pcap"))) == 2


def test_sipp_failures_are_read_from_its_statistics(tmp_path) -> None:
    stats = tmp_path / "stats.csv"
    stats.write_text("StartTime;FailedCall(C);FailedMaxUDPRetrans(C);FailedTimeoutOnRecv(C);SuccessfulCall(C)\n"
                     "x;0;0;0;0\n"
                     "x;3;1;2;7\n", encoding="utf-8")
    assert sb._sipp_failures(stats) == {"sipp: MaxUDPRetrans": 1, "sipp: TimeoutOnRecv": 2}
    log = tmp_path / "calls.log"
    log.write_text("ok 1\nok 12\nsomething else\n", encoding="utf-8")
    assert sb._logged_ok(log) == {1, 12}


def test_climb_alternates_the_routes_then_bisects_each_to_its_own_limit() -> None:
    limits = {"figure": 30.0, "baseline": 50.0}  # the highest rate each route holds
    searches = {route: sb.RouteSearch(route, (20, 40, 80), bisect=2, resolution=1.0) for route in sb.ROUTES}
    steps: list[sb.Step] = []

    def run_step(route: str, rate: float, calls: int) -> sb.Step:
        return _step(route, rate, failed=0 if rate <= limits[route] else calls, calls=calls)

    seen: list[tuple[str, float]] = []
    cut = sb.climb(searches, lambda rate: 10, run_step, steps, time.monotonic() + 60, 0.0,
                   lambda step: seen.append((step.route, step.rate)))
    assert cut is False and [(s.route, s.rate) for s in steps] == seen
    assert seen[:4] == [("figure", 20), ("baseline", 20), ("baseline", 40), ("figure", 40)]  # turns alternate
    # figure: 20 held, 40 failed, then 30 held and 35 failed; baseline: 80 failed, then 60 failed, 50 held
    assert {route: s.passed for route, s in searches.items()} == {"figure": 30.0, "baseline": 50.0}
    assert {route: s.failed for route, s in searches.items()} == {"figure": 35.0, "baseline": 60.0}


def test_climb_stops_when_the_next_step_would_pass_the_deadline() -> None:
    searches = {route: sb.RouteSearch(route, (20, 40), bisect=0, resolution=1.0) for route in sb.ROUTES}
    steps: list[sb.Step] = []
    calls_at = {20: 100, 40: 1000}  # 5 s of calls at 20/s fit in the 6 s left; 25 s at 40/s do not
    cut = sb.climb(searches, lambda rate: calls_at[int(rate)], lambda route, rate, calls: _step(route, rate, 0, calls),
                   steps, time.monotonic() + 6.0, 0.0, lambda step: None)
    assert cut is True and [(s.route, s.rate) for s in steps] == [("figure", 20), ("baseline", 20)]
