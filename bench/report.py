"""The results as tables for people, or as JSON for machines."""

from __future__ import annotations

import json
import math

from . import ami_ingest as ami
from . import scenario as sc
from . import web, web_data, web_load, web_stats
from .agi_client import FAULTS
from .runner import FAULT_TARGET, SIDES, TARGET_RATIO, Report
from .sandbox import TARGET_RATIO as SANDBOX_TARGET
from .sandbox import SandboxReport, step_line

UNITS = {"fastagi-dnis": "sessions", "fastagi-ivr": "calls"}


def _num(value: float, digits: int = 0) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _grid(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return lines


def table(report: Report) -> str:
    rows = [("benchmark", "c", "figure /s", "baseline /s", "ratio", "target", "met",
             "figure p99 ms", "baseline p99 ms", "p99 ratio", "p99 target")]
    for r in report.results:
        rows.append((f"{r.benchmark} ({UNITS[r.benchmark]}/s)", str(r.concurrency),
                     _num(r.best("figure")), _num(r.best("baseline")), _num(r.ratio, 2),
                     f">= {TARGET_RATIO:.2f}", "yes" if r.met else "NO",
                     _num(r.p99("figure"), 1), _num(r.p99("baseline"), 1), _num(r.p99_ratio, 2),
                     f"<= {1 / TARGET_RATIO:.2f}"))
    lines = _grid(rows)
    if report.faults:
        lines.append("")
        rows = [("fastagi-ivr, one faulty peer connected", "c", "p99 without ms", "p99 with ms", "ratio", "target",
                 "met", "calls/s with", "faulty connections")]
        for f in report.faults:
            rows.append((f"{f.fault}: {FAULTS[f.fault]}", str(f.concurrency), _num(f.p99("without"), 1),
                         _num(f.p99("with"), 1), _num(f.ratio, 2), f"< {FAULT_TARGET:.2f}",
                         "yes" if f.met else "NO", _num(max(f.rates, default=math.nan)), str(f.connections)))
        lines += _grid(rows)
    c = report.config
    lines.append("")
    lines.append(f"best of {c.rounds} interleaved round(s) per side (highest rate, lowest p99; figure/baseline "
                 f"measured in the same run); warm-up {c.warmup} calls per side and benchmark")
    for name, kind in (("fastagi-dnis", "dnis"), ("fastagi-ivr", "ivr")):
        per = ", ".join(f"{n} at c={k}" for k, n in getattr(c, kind).items())
        lines.append(f"{name}: calls per round {per}")
    if c.faults:
        lines.append("faulty-peer runs: figure only, as many calls as its fastagi-ivr run of the same round and "
                     "concurrency, which is the 'without'")
    lines.append("fastagi-ivr: a call = the dnis session then the ivr session (3-step menu to a queue); "
                 "p99 per call, both sessions")
    mix = "; ".join(f"{side} {m['new']} new, {m['known']} known" for side, m in report.callers.items())
    lines.append(f"callers (1 call in {sc.NEW_EVERY} a first call): {mix}")
    lines.append(f"run took {report.elapsed:.1f} s")
    lines.append("failures: none" if report.ok else f"FAILURES ({len(report.problems)}):")
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def _round(value: float, digits: int) -> float | None:
    return None if math.isnan(value) else round(value, digits)


def as_json(report: Report) -> str:
    return json.dumps({
        "ok": report.ok,
        "rounds": report.config.rounds,
        "warmup": report.config.warmup,
        "target_ratio": TARGET_RATIO,
        "fault_target": FAULT_TARGET,
        "results": [{
            "benchmark": r.benchmark,
            "unit": UNITS[r.benchmark],
            "concurrency": r.concurrency,
            "calls_per_round": r.calls,
            "figure": _round(r.best("figure"), 1),
            "baseline": _round(r.best("baseline"), 1),
            "ratio": _round(r.ratio, 4),
            "target_met": r.met,
            "figure_p99_ms": _round(r.p99("figure"), 3),
            "baseline_p99_ms": _round(r.p99("baseline"), 3),
            "p99_ratio": _round(r.p99_ratio, 4),
            "rounds": {side: {"rates": [round(v, 1) for v in r.rates[side]],
                              "p99_ms": [_round(v, 3) for v in r.p99s[side]]} for side in SIDES},
            "failures": {side: dict(r.failures[side]) for side in SIDES},
        } for r in report.results],
        "faults": [{
            "fault": f.fault,
            "concurrency": f.concurrency,
            "calls_per_round": f.calls,
            "p99_without_ms": _round(f.p99("without"), 3),
            "p99_with_ms": _round(f.p99("with"), 3),
            "ratio": _round(f.ratio, 4),
            "target_met": f.met,
            "rounds": {"p99_without_ms": [_round(v, 3) for v in f.without],
                       "p99_with_ms": [_round(v, 3) for v in f.with_fault],
                       "rates_with": [round(v, 1) for v in f.rates]},
            "faulty_connections": f.connections,
            "failures": dict(f.failures),
        } for f in report.faults],
        "callers": report.callers,
        "elapsed_s": round(report.elapsed, 2),
        "problems": report.problems,
    }, indent=2)


# ---- end to end on the Asterisk sandbox (bench.sandbox) ------------------------------------------


def _rate(value: float) -> str:
    return "-" if math.isinf(value) else f"{value:g}"


def sandbox_table(report: SandboxReport) -> str:
    best, low = report.best, report.lowest_failed
    rows = [("benchmark", "figure /s", "baseline /s", "ratio", "target", "met"),
            ("sandbox-ivr (calls/s with < 1 % failed)", _rate(best.get("figure", 0.0)),
             _rate(best.get("baseline", 0.0)), _num(report.ratio, 2), f">= {SANDBOX_TARGET:.2f}",
             "yes" if report.met else "NO")]
    lines = _grid(rows)
    lines.append("")
    lines.append("end to end on the Asterisk sandbox, one session: figure = a carrier call to a client's DID "
                 "through the FastAGI dnis and ivr routes (language 1, open 24 h, main menu 1, goodbye, hang-up); "
                 "baseline = the same call in dialplan alone (bench/asterisk/extensions_bench.conf)")
    c = report.config
    lines.append(f"sipp: answered, key 1 after 1 s, key 1 after 1 s more, then the system says goodbye and hangs "
                 f"up (about 5 s); {c.hold_s:g} s of calls per step (at least {c.min_calls}); ladder "
                 f"{', '.join(f'{r:g}' for r in c.ladder)} calls/s then {c.bisect} bisection step(s), the routes "
                 "taking turns")
    lines.append("a call fails if sipp does not see it through, or if the call history lacks it or has it on "
                 "another path (figure: its IVR path; baseline: its hangup cause)")
    for route in ("figure", "baseline"):
        failed = low.get(route, math.inf)
        lines.append(f"{route}: held up to {_rate(best.get(route, 0.0))} calls/s; "
                     + ("no rate tried failed" if math.isinf(failed) else f"lowest that failed {failed:g} calls/s"))
    if c.smoke:
        lines.append("a short search (--quick): a smoke run of the sandbox bench, not a measurement")
    if report.steps:
        lines.append("steps, in order:")
        lines += [f"  {step_line(step)}" for step in report.steps]
    lines += [f"caveat: {caveat}" for caveat in report.caveats]
    lines.append(f"run took {report.elapsed:.1f} s (setting up {report.setup_s:.1f} s)")
    lines.append("failures: none" if report.ok else f"FAILURES ({len(report.problems)}):")
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def _jrate(value: float) -> float | None:
    return None if math.isinf(value) or math.isnan(value) else value


def sandbox_json(report: SandboxReport) -> dict:
    c = report.config
    return {
        "ok": report.ok,
        "target_ratio": SANDBOX_TARGET,
        "figure": report.best.get("figure", 0.0),
        "baseline": report.best.get("baseline", 0.0),
        "ratio": _round(report.ratio, 4),
        "target_met": report.met,
        "lowest_failed": {route: _jrate(v) for route, v in report.lowest_failed.items()},
        "config": {"ladder": list(c.ladder), "hold_s": c.hold_s, "min_calls": c.min_calls, "bisect": c.bisect,
                   "warmup": c.warmup, "budget_s": c.budget_s, "smoke": c.smoke},
        "steps": [{"route": s.route, "rate": s.rate, "calls": s.calls, "failed": s.failed, "held": s.ok,
                   "median_call_s": _round(s.median_s, 3), "step_s": round(s.seconds, 2),
                   "reasons": dict(s.reasons)} for s in report.steps],
        "cut_short": report.cut_short,
        "caveats": report.caveats,
        "setup_s": round(report.setup_s, 2),
        "elapsed_s": round(report.elapsed, 2),
        "problems": report.problems,
    }


# ---- AMI ingest (bench.ami_ingest) ---------------------------------------------------------------


def _yes(met: bool) -> str:
    return "yes" if met else "NO"


def ami_table(report: ami.IngestReport) -> str:
    fig, base = report.best("figure"), report.best("baseline")
    rows = [("ami-ingest", "figure", "baseline", "ratio", "target", "met"),
            ("events/s, stream sent as fast as taken", _num(fig), _num(base), _num(report.ratio, 2),
             f">= {ami.TARGET_RATIO:.2f}", _yes(report.met_ratio)),
            ("events/s, absolute", _num(fig), "", "", f">= {ami.TARGET_RATE:.0f}", _yes(report.met_rate)),
            ("events lost (calls without a row)", str(report.lost("figure")), str(report.lost("baseline")), "",
             "0", _yes(report.lost("figure") == 0))]
    for rate in sorted(report.config.rates):
        target = f"< {ami.TARGET_LAG_MS:.0f}" if rate == ami.LAG_RATE else "-"
        met = _yes(report.met_lag) if rate == ami.LAG_RATE else ""
        f99, b99 = report.p99("figure", rate), report.p99("baseline", rate)
        rows.append((f"p99 lag ms at {rate} events/s", _num(f99, 1), _num(b99, 1),
                     _num(f99 / b99 if b99 > 0 else math.nan, 2), target, met))
    rows.append(("p99 lag ms, as fast as taken (queueing)", _num(report.p99("figure", 0), 1),
                 _num(report.p99("baseline", 0), 1), "", "-", ""))
    lines = _grid(rows)
    c, s = report.config, report.stream
    lines.append("")
    lines.append(f"stream: the 5 real call streams of tests/ami/fixtures/streams as {s.calls} distinct calls, "
                 f"{s.events} events ({s.bytes / 1e6:.0f} MB), {s.max_concurrent} calls in progress at most "
                 f"({s.mean_concurrent:.0f} on average); fixed-rate runs: "
                 + ", ".join(f"{rate} events/s for {sec:g} s" for rate, sec in c.rates.items())
                 + f"; as fast as taken: best of {c.rounds} interleaved round(s)")
    lines.append("figure: the real AMIClient + CallListener + Store (SQLite file) over loopback; baseline: a plain "
                 "asyncio reader, split on \\r\\n\\r\\n and ': ', rows built per linkedid at its last Hangup, "
                 "executemany + COMMIT after each read; both measure a real WAV per recorded call")
    lines.append("events/s: first event sent to last row committed; lag: a call's finishing Hangup written by the "
                 "server to its row committed (figure: when the listener's await store.write returns)")
    for run in report.runs:
        what = "as fast as taken" if run.rate == 0 else f"at {run.rate:g} events/s"
        lines.append(f"  {run.side} {what}: {run.events} events, {run.rows}/{run.calls} rows in "
                     f"{run.seconds:.2f} s = {_num(run.rate_achieved)} events/s, lag p50 "
                     f"{_num(ami.percentile(run.lags_ms, 0.5), 1)} ms p99 {_num(run.p99, 1)} ms")
    lines.append(f"run took {report.elapsed:.1f} s (building the streams and WAVs {report.setup_s:.1f} s)")
    lines.append("failures: none" if report.ok else f"FAILURES ({len(report.problems)}):")
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def ami_json(report: ami.IngestReport) -> dict:
    c, s = report.config, report.stream
    return {
        "ok": report.ok,
        "figure": _round(report.best("figure"), 1),
        "baseline": _round(report.best("baseline"), 1),
        "ratio": _round(report.ratio, 4),
        "target_ratio": ami.TARGET_RATIO,
        "target_ratio_met": report.met_ratio,
        "target_rate": ami.TARGET_RATE,
        "target_rate_met": report.met_rate,
        "lost": {side: report.lost(side) for side in ami.SIDES},
        "p99_lag_ms": {str(rate): {side: _round(report.p99(side, rate), 3) for side in ami.SIDES}
                       for rate in (0, *sorted(c.rates))},
        "target_lag_ms": ami.TARGET_LAG_MS,
        "target_lag_rate": ami.LAG_RATE,
        "target_lag_met": report.met_lag,
        "config": {"calls": c.calls, "concurrency": c.concurrency, "rounds": c.rounds,
                   "rates": {str(rate): sec for rate, sec in c.rates.items()}},
        "stream": {"calls": s.calls, "events": s.events, "bytes": s.bytes, "max_concurrent": s.max_concurrent,
                   "mean_concurrent": round(s.mean_concurrent, 2)},
        "runs": [{"side": r.side, "rate": r.rate, "events": r.events, "calls": r.calls, "rows": r.rows,
                  "wrong": r.wrong, "seconds": _round(r.seconds, 4), "events_per_s": _round(r.rate_achieved, 1),
                  "p50_lag_ms": _round(ami.percentile(r.lags_ms, 0.5), 3), "p99_lag_ms": _round(r.p99, 3)}
                 for r in report.runs],
        "setup_s": round(report.setup_s, 2),
        "elapsed_s": round(report.elapsed, 2),
        "problems": report.problems,
    }


# ---- the web API (bench.web) ---------------------------------------------------------------------


def _mib(value: float) -> str:
    return f"{value / 1048576:.1f}"


def web_table(report: web.WebReport) -> str:
    rows = [("web", "figure", "baseline", "ratio", "target", "met")]
    for lat in report.latencies:
        what = f"api-calls {lat.name}, {lat.page} page"
        for stat in ("p50", "p99"):
            fig, base = lat.best(stat, "figure"), lat.best(stat, "baseline")
            rows.append((f"{what}: {stat} ms", _num(fig, 2), _num(base, 2), _num(fig / base if base else math.nan, 2),
                         f"<= {web.P99_TARGET_MS:g}" if stat == "p99" else "", _yes(lat.met) if stat == "p99" else ""))
    if (st := report.stats) is not None:
        for stat in ("p50", "p99"):
            fig, base = st.best(stat, "figure"), st.best(stat, "baseline")
            rows.append((f"stats {web_stats.DAYS} days of client {web_stats.CLIENT} ({st.calls} calls): {stat} ms",
                         _num(fig, 2), _num(base, 2), _num(fig / base if base else math.nan, 2),
                         f"<= {web_stats.P99_TARGET_MS:g}" if stat == "p99" else "",
                         _yes(st.met) if stat == "p99" else ""))
    for exp in report.exports:
        fig, base = exp.rate("figure"), exp.rate("baseline")
        last = exp is report.exports[-1]
        rows.append((f"csv-export {exp.rows} calls: rows/s", _num(fig), _num(base), _num(fig / base, 2),
                     f">= {web.EXPORT_TARGET:.0f}" if last else "", _yes(report.export_met) if last else ""))
    for exp in report.exports:
        last = exp is report.exports[-1]
        rows.append((f"csv-export {exp.rows} calls: server peak MiB above start", _mib(exp.peak("figure")),
                     _mib(exp.peak("baseline")), "", "flat" if last else "",
                     _yes(report.export_flat) if last else ""))
    for run in report.files:
        what = "whole file" if run.mode == "full" else "random 64 KiB range"
        rows.append((f"recordings {what} ({run.bytes} B), {web_load.CONNECTIONS} connections: req/s",
                     _num(run.rate("figure")), _num(run.rate("baseline")), _num(run.ratio, 2),
                     f">= {web.FILE_TARGET:.2f}", _yes(run.met)))
        rows.append((f"recordings {what}: p99 ms", _num(min(run.p99["figure"], default=math.nan), 1),
                     _num(min(run.p99["baseline"], default=math.nan), 1), "", "", ""))
    lines = _grid(rows)
    if any(lat.unindexed for lat in report.latencies):
        lines.append("")
        rows = [("migration 13's disposition indexes, in-process", "with", "without", "with / without")]
        for lat in report.latencies:
            for stat in ("p50", "p99"):
                with_, without = lat.best(stat, "baseline"), lat.unindexed.get(stat, math.nan)
                rows.append((f"api-calls {lat.name}, {lat.page} page: {stat} ms", _num(with_, 2), _num(without, 2),
                             _num(with_ / without if without else math.nan, 2)))
        lines += _grid(rows)
    c, d = report.config, report.dataset
    lines.append("")
    if d is not None:
        lines.append(f"store: {d.calls} synthetic calls ({d.recordings} recordings) over {web_data.DAYS} days, "
                     f"{len(web_data.CLIENTS)} clients, built in {d.seconds:.1f} s")
    lines.append(f"best of {c.rounds} interleaved round(s) per side; api-calls: {c.requests} requests per round one "
                 "after another on a keep-alive connection (figure: HTTP, bearer token; baseline: "
                 "store.calls.list_calls in-process), 50 calls a page, a deep page "
                 f"{web.DEEP:.0%} into the filter's calls")
    lines.append(f"stats: GET /api/stats?client={web_stats.CLIENT} for the last {web_stats.DAYS} days of its time "
                 "zone, every answer checked equal to the baseline (store.stats.call_stats in-process)")
    lines.append("csv-export: a client's newest N calls (figure: GET /api/calls?format=csv; baseline: one cursor "
                 "to csv.writer on a bare route); peak memory: the server's RSS high-water mark over the download")
    lines.append(f"recordings: {c.fetch_s:g} s per round and side; figure GET /api/recordings/{{id}} (bearer "
                 "token, scope, audit row); baseline aiohttp FileResponse on a bare route")
    lines.append(f"run took {report.elapsed:.1f} s")
    lines.append("failures: none" if report.ok else f"FAILURES ({len(report.problems)}):")
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def web_json(report: web.WebReport) -> dict:
    return {
        "ok": report.ok,
        "config": {"calls": report.config.calls, "requests": report.config.requests,
                   "export_rows": list(report.config.export_rows), "fetch_s": report.config.fetch_s,
                   "rounds": report.config.rounds},
        "api_calls": [{"case": lat.name, "page": lat.page, "offset": lat.offset,
                       **{f"{side}_{stat}_ms": _round(lat.best(stat, side), 3) for side in web.SIDES
                          for stat in ("p50", "p99")},
                       "target_p99_ms": web.P99_TARGET_MS, "target_met": lat.met,
                       "in_process_without_disposition_indexes_ms": {
                           stat: _round(value, 3) for stat, value in lat.unindexed.items()}}
                      for lat in report.latencies],
        "stats": None if report.stats is None else {
            "days": web_stats.DAYS, "client": web_stats.CLIENT, "calls": report.stats.calls,
            **{f"{side}_{stat}_ms": _round(report.stats.best(stat, side), 3) for side in web_stats.SIDES
               for stat in ("p50", "p99")},
            "target_p99_ms": web_stats.P99_TARGET_MS, "target_met": report.stats.met},
        "csv_export": [{"rows": exp.rows, **{f"{side}_rows_per_s": _round(exp.rate(side), 1) for side in web.SIDES},
                        **{f"{side}_peak_bytes": exp.peak(side) for side in web.SIDES}} for exp in report.exports],
        "csv_export_target": web.EXPORT_TARGET,
        "csv_export_met": bool(report.exports) and report.export_met,
        "csv_export_flat": bool(report.exports) and report.export_flat,
        "recordings": [{"mode": run.mode, "bytes": run.bytes,
                        **{f"{side}_per_s": _round(run.rate(side), 1) for side in web.SIDES},
                        "ratio": _round(run.ratio, 4), "target": web.FILE_TARGET, "target_met": run.met}
                       for run in report.files],
        "elapsed_s": round(report.elapsed, 2),
        "problems": report.problems,
    }
