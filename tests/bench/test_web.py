"""The web bench (bench.web) with tiny counts: every request of both sides answers what the store
holds, the exports carry every row, every recording request leaves its audit row, and the table and
JSON carry each figure. Speed is not asserted: only that there are positive numbers."""

from __future__ import annotations

import math

from bench import web, web_data
from bench.report import web_json, web_table
from store.db import connect

TINY = web.WebConfig(calls=6000, requests=5, export_rows=(200, 1000), fetch_s=0.2, rounds=1, warmup=2)


async def test_tiny_web_bench_measures_every_figure(tmp_path):
    report = await web.run(TINY, directory=tmp_path)

    assert report.problems == [] and report.ok
    assert [(lat.name, lat.page) for lat in report.latencies] == [
        (case.name, page) for case in web.CASES for page in ("first", "deep")]
    for lat in report.latencies:
        for side in web.SIDES:
            assert 0 < lat.best("p50", side) <= lat.best("p99", side)
    assert all(lat.offset > 0 for lat in report.latencies if lat.page == "deep")
    for lat in report.latencies:  # measured again without migration 13's indexes
        assert 0 < lat.unindexed["p50"] <= lat.unindexed["p99"]
    assert [e.rows for e in report.exports] == [200, 1000]
    for export in report.exports:
        assert export.rate("figure") > 0 and export.rate("baseline") > 0
    assert [f.mode for f in report.files] == ["full", "range"]
    assert all(f.rate("figure") > 0 and f.rate("baseline") > 0 and not math.isnan(f.ratio) for f in report.files)

    text = web_table(report)
    assert "failures: none" in text and "<= 5" in text and ">= 100000" in text and ">= 0.90" in text
    assert "migration 13's disposition indexes" in text
    data = web_json(report)
    assert data["ok"] is True and len(data["api_calls"]) == 6 and len(data["recordings"]) == 2


def test_the_synthetic_store_is_what_it_says(tmp_path):
    data = web_data.build(tmp_path, 2000)
    db = connect(data.db_path)
    try:
        assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == 2000
        dispositions = dict(db.execute("SELECT disposition, count(*) FROM calls GROUP BY disposition").fetchall())
        assert set(dispositions) == {name for name, _ in web_data.DISPOSITIONS}
        assert dispositions["answered"] > 1000  # about 62 %
        clients = {r[0] for r in db.execute("SELECT DISTINCT client_code FROM calls")}
        assert clients == {*web_data.CLIENTS, None}  # unknown DIDs have no client
        assert db.execute("SELECT count(*) FROM recordings").fetchone()[0] == data.recordings
        assert len(data.recording_ids) == web_data.RECORDING_FILES
        for rec_id in data.recording_ids:
            path, size = db.execute("SELECT path, size_bytes FROM recordings WHERE id = ?", [rec_id]).fetchone()
            assert (data.recordings_dir / path).stat().st_size == size
    finally:
        db.close()
