"""The bench runs end to end, in quick mode with tiny counts: every session of both sides completes."""

from __future__ import annotations

import json

from bench.report import as_json, table
from bench.runner import QUICK, BenchConfig, run

TINY = BenchConfig({c: 12 for c in QUICK.sessions}, rounds=1, warmup=5)


async def test_quick_bench_completes_every_session() -> None:
    report = await run(TINY)

    assert report.problems == []
    assert report.ok
    assert [r.concurrency for r in report.results] == [1, 10, 50]
    for result in report.results:
        for side in ("figure", "baseline"):
            assert len(result.rates[side]) == 1
            assert sum(result.failures[side].values()) == 0
        assert result.ratio > 0
    data = json.loads(as_json(report))
    assert data["ok"] is True
    assert all(row["ratio"] > 0 for row in data["results"])
    assert "failures: none" in table(report)
