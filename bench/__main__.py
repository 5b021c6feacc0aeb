"""`python -m bench [--quick] [--json]`: prints figure, baseline and ratio; exits 1 if any session failed."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .report import as_json, table
from .runner import FULL, QUICK, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer sessions per round: a short run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    report = asyncio.run(run(QUICK if args.quick else FULL))
    print(as_json(report) if args.json else table(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
