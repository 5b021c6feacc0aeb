"""The statistics page in Chromium: its three SVG charts are drawn (boxes of real size) and carry the
figures of client 1000's calls, counted by hand in seed.py."""

from __future__ import annotations

from .conftest import log_in
from .seed import DAY_RATE, PER_HOUR, WAITS, YESTERDAY

COLUMNS = "id => [...document.querySelectorAll(`#${id} g.col`)].map(g => ({...g.dataset}))"


def columns(page, chart: str) -> list[dict]:
    return page.eval(f"({COLUMNS})({chart!r})")


def test_the_charts_show_the_clients_figures(browser):
    page = browser()
    log_in(page, "alice", "/stats")
    hours = columns(page, "chart-hours")
    assert [int(c["hour"]) for c in hours] == list(range(24))
    assert {int(c["hour"]): (int(c["offered"]), int(c["answered"]), int(c["abandoned"])) for c in hours
            if c["offered"] != "0"} == PER_HOUR
    days = {c["date"]: c for c in columns(page, "chart-abandon")}
    assert len(days) == 7 and (int(days[YESTERDAY.isoformat()]["offered"]),
                               int(days[YESTERDAY.isoformat()]["abandoned"])) == DAY_RATE
    assert float(days[YESTERDAY.isoformat()]["rate"]) == round(DAY_RATE[1] / DAY_RATE[0], 4)
    waits = columns(page, "chart-waits")
    assert {int(c["from"]): int(c["calls"]) for c in waits if c["calls"] != "0"} == WAITS
    # Drawn, to scale: the abandon bar of yesterday is a third of the plot's height.
    ratio = page.eval(f"""(() => {{
        const col = document.querySelector('#chart-abandon g.col[data-date="{YESTERDAY.isoformat()}"]');
        const bar = col.querySelector('rect.bar.abandoned').getBBox();
        return bar.height / col.querySelector('rect.hit').getBBox().height; }})()""")
    assert abs(ratio - DAY_RATE[1] / DAY_RATE[0]) < 0.01
    heights = page.eval("[...document.querySelectorAll('#chart-hours rect.bar')].map(r => r.getBBox().height)")
    assert len(heights) == 6 and all(h > 0 for h in heights)  # 3 hours × (answered, abandoned or other)
    tiles = page.eval("Object.fromEntries([...document.querySelectorAll('#kpis .tile')].map("
                      "t => [t.dataset.kpi, t.querySelector('.value').textContent]))")
    assert tiles["offered"] == "6" and tiles["abandoned"] == "2" and tiles["abandon_rate"] == "33,3\u202f%"
    assert page.eval("[...document.querySelectorAll('#queues tbody tr')].map(r => r.dataset.queue)") == ["accueil"]


def test_a_bad_period_is_named_on_the_page(browser):
    page = browser()
    page.allow_console(r"status of 400")
    log_in(page, "alice", "/stats")
    page.fill("input[name=from]", "2026-02-10")
    page.fill("input[name=to]", "2026-02-01")
    page.click("#filters button[type=submit]")
    page.wait("document.querySelector('p.error') !== null")
    assert "« Au »" in page.text("p.error") and page.eval("document.querySelector('svg')") is None
