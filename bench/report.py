"""The results as a table for people, or as JSON for machines."""

from __future__ import annotations

import json

from .runner import SIDES, Report

COLUMNS = ("benchmark", "concurrency", "figure (sessions/s)", "baseline (sessions/s)",
           "ratio (figure/baseline)")


def table(report: Report) -> str:
    rows = [COLUMNS] + [
        (r.benchmark, str(r.concurrency), f"{r.best('figure'):.0f}", f"{r.best('baseline'):.0f}",
         f"{r.ratio:.2f}")
        for r in report.results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [" | ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    sessions = ", ".join(f"{r.sessions} at c={r.concurrency}" for r in report.results)
    lines.append(f"best of {report.config.rounds} interleaved rounds per side; "
                 f"sessions per round: {sessions}")
    lines.append("failures: none" if report.ok else f"FAILURES ({len(report.problems)}):")
    lines += [f"  {problem}" for problem in report.problems]
    return "\n".join(lines)


def as_json(report: Report) -> str:
    return json.dumps({
        "ok": report.ok,
        "rounds": report.config.rounds,
        "warmup": report.config.warmup,
        "results": [{
            "benchmark": r.benchmark,
            "concurrency": r.concurrency,
            "sessions_per_round": r.sessions,
            "figure": round(r.best("figure"), 1),
            "baseline": round(r.best("baseline"), 1),
            "ratio": round(r.ratio, 4),
            "rounds": {side: [round(rate, 1) for rate in r.rates[side]] for side in SIDES},
            "failures": {side: dict(r.failures[side]) for side in SIDES},
        } for r in report.results],
        "problems": report.problems,
    }, indent=2)
