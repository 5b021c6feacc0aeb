"""`python -m bench [--quick] [--json] [--sandbox-only | --no-sandbox]`: prints figure, baseline and ratio
of the FastAGI benchmarks, then of the end-to-end one on the Asterisk sandbox (bench.sandbox: root,
sipp, a few minutes); exits 1 if any run failed."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from . import sandbox
from .report import as_json, sandbox_json, sandbox_table, table
from .runner import FULL, QUICK, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer sessions per round, a short sandbox search")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sandbox-only", action="store_true", help="only the end-to-end benchmark on the sandbox")
    which.add_argument("--no-sandbox", action="store_true", help="only the FastAGI benchmarks")
    args = parser.parse_args(argv)
    ok = True
    out: dict = {}
    if not args.sandbox_only:
        report = asyncio.run(run(QUICK if args.quick else FULL))
        ok = report.ok
        if args.json:
            out.update(json.loads(as_json(report)))
        else:
            print(table(report), flush=True)
    if not args.no_sandbox:
        if not args.json and not args.sandbox_only:
            print(flush=True)
        print("end to end on the Asterisk sandbox: starting it, then calls at rising rates …", file=sys.stderr,
              flush=True)
        result = sandbox.run(sandbox.QUICK if args.quick else sandbox.FULL,
                             progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
        ok = ok and result.ok
        if args.json:
            out["sandbox"] = sandbox_json(result)
        else:
            print(sandbox_table(result), flush=True)
    if args.json:
        out["ok"] = ok
        print(json.dumps(out, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
