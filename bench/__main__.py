"""`python -m bench [--quick] [--json] [--sandbox-only | --no-sandbox | --only SECTION]`: prints figure,
baseline and ratio of the FastAGI benchmarks, then of the AMI ingest one (bench.ami_ingest: the AMI
listener's events/s into the store, against a plain reader, and its lag at fixed rates), then of the
web ones (bench.web: the call history API, the CSV export, the recordings), then of the end-to-end
one on the Asterisk sandbox (bench.sandbox: root, sipp, a few minutes), then the ACD load on the
sandbox (bench.acd_load: IVR into a queue, agents answering, then a 10-minute soak); exits 1 if any
run failed."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from . import acd_load, ami_ingest, sandbox, web
from .report import ami_json, ami_table, as_json, sandbox_json, sandbox_table, table, web_json, web_table
from .runner import FULL, QUICK, run

SECTIONS = ("fastagi", "ami-ingest", "web", "sandbox", "acd")


def _progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer sessions per round, a short sandbox search")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sandbox-only", action="store_true", help="only the benchmarks on the sandbox (IVR, ACD)")
    which.add_argument("--no-sandbox", action="store_true", help="every benchmark but the sandbox ones")
    which.add_argument("--only", choices=SECTIONS, help="only this section")
    args = parser.parse_args(argv)
    if args.sandbox_only:
        sections = {"sandbox", "acd"}
    elif args.no_sandbox:
        sections = {"fastagi", "ami-ingest", "web"}
    elif args.only:
        sections = {args.only}
    else:
        sections = set(SECTIONS)
    ok = True
    out: dict = {}
    printed = False

    def gap() -> None:
        if printed and not args.json:
            print(flush=True)

    if "fastagi" in sections:
        report = asyncio.run(run(QUICK if args.quick else FULL))
        ok = report.ok
        if args.json:
            out.update(json.loads(as_json(report)))
        else:
            print(table(report), flush=True)
        printed = True
    if "ami-ingest" in sections:
        gap()
        print("AMI ingest: a synthetic stream from the real call streams, as fast as taken, then at fixed rates …",
              file=sys.stderr, flush=True)
        ingest = asyncio.run(ami_ingest.run(ami_ingest.QUICK if args.quick else ami_ingest.FULL,
                                            progress=_progress))
        ok = ok and ingest.ok
        if args.json:
            out["ami_ingest"] = ami_json(ingest)
        else:
            print(ami_table(ingest), flush=True)
        printed = True
    if "web" in sections:
        gap()
        print("web: the call history API, the CSV export and the recordings against bare baselines …",
              file=sys.stderr, flush=True)
        result_web = asyncio.run(web.run(web.QUICK if args.quick else web.FULL, progress=_progress))
        ok = ok and result_web.ok
        if args.json:
            out["web"] = web_json(result_web)
        else:
            print(web_table(result_web), flush=True)
        printed = True
    if "sandbox" in sections:
        gap()
        print("end to end on the Asterisk sandbox: starting it, then calls at rising rates …", file=sys.stderr,
              flush=True)
        result = sandbox.run(sandbox.QUICK if args.quick else sandbox.FULL, progress=_progress)
        ok = ok and result.ok
        if args.json:
            out["sandbox"] = sandbox_json(result)
        else:
            print(sandbox_table(result), flush=True)
        printed = True
    if "acd" in sections:
        gap()
        print("ACD load on the Asterisk sandbox: agents registering, calls at rising rates, then a soak …",
              file=sys.stderr, flush=True)
        acd = acd_load.run(acd_load.QUICK if args.quick else acd_load.FULL, progress=_progress)
        ok = ok and acd.ok
        if args.json:
            out["acd"] = acd_load.as_json(acd)
        else:
            print(acd_load.table(acd), flush=True)
    if args.json:
        out["ok"] = ok
        print(json.dumps(out, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
