"""bench: figures measured against a baseline in the same run (`python -m bench`).

The machine is noisy, so each figure comes with a baseline measured in the same run, rounds of both
interleaved; the ratio figure/baseline is the number to watch, not the absolute rates.

- `fastagi-dnis`: FastAGI `dnis` sessions per second and their p99, the caller path included (every
  call carries a caller id; one in five is a caller's first call).
- `fastagi-ivr`: calls per second and p99 per call, a call being a `dnis` session then an `ivr` session
  through a 3-step menu to a queue, as the dialplan makes them. Target: figure ≥ 0.9 × baseline.
- fault tolerance: `fastagi-ivr` on the figure again while one faulty peer holds a connection (half a
  header then silence, or nothing at all); target: the others' p99 < 1.5 × without.
- `ami-ingest` (bench.ami_ingest): the AMI listener (AMIClient + CallListener + Store) fed a synthetic
  stream built from the real call streams of tests/ami/fixtures, over loopback, against a plain reader
  with executemany: events/s (target: figure ≥ 0.5 × baseline, and ≥ 40 000 absolute), events lost
  (target 0), p99 lag from a call's last Hangup to its row committed at 1 000 and 5 000 events/s
  (target < 100 ms at 5 000). `--only ami-ingest` runs it alone; `python -m bench.ami_ingest --profile
  OUT` profiles the figure.
- `web` (bench.web, `--only web`): over a real store of 1 000 000 synthetic calls (bench.web_data, one
  transaction), GET /api/calls filtered and paged (a first page and a keyset page 40 % deep, three
  filters) over HTTP against store.calls.list_calls in-process — p50 and p99, target p99 ≤ 5 ms;
  GET /api/stats for the last 30 days of the busiest client over HTTP against store.stats.call_stats
  in-process (bench.web_stats) — p50 and p99, target p99 ≤ 20 ms; the CSV export of a client's
  newest 10 000 and 100 000 calls against one cursor written straight to csv.writer on a bare route —
  rows/s (target ≥ 100 000) and the server's peak memory, flat in the rows; GET /api/recordings/{id}
  whole and as random 64 KiB ranges from 16 connections against aiohttp's FileResponse on a bare
  route — requests/s, target figure ≥ 0.9 × baseline. The servers run in a child process
  (bench.web_server; BENCH_PROFILE=<file> profiles it).
- `sandbox-ivr` (bench.sandbox): end to end on the Asterisk sandbox, the highest calls per second with
  < 1 % failed calls through the FastAGI IVR route, against the same calls through a pure-dialplan
  route (bench/asterisk/extensions_bench.conf); target: figure ≥ 0.8 × baseline. sipp places the
  calls and presses the keys. `--sandbox-only` / `--no-sandbox` choose the sections.

The servers run in child processes (`bench.server`) so the load generator (`bench.agi_client`, which
plays Asterisk and checks every session against `bench.scenario`) never shares an event loop or a GIL
with the server it measures. The figure is the real FastAGIServer wired by permanence.serve over a
real SQLite store (`bench.figure`); the baseline does the same AGI exchanges with nothing else
(`bench.baseline`). `python -m bench.profile` shows where the figure's time goes.
"""

from .runner import BenchConfig, Report, Result, run

__all__ = ["BenchConfig", "Report", "Result", "run"]
