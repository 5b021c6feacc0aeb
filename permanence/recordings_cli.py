"""`permanence recordings …`: retention per client, purge (dry run unless --apply), check files."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime

from recordings.files import RecordingError, measure, resolve
from recordings.retention import purge_files
from store import retention
from store.clock import now_iso

from .cliutil import CLIError, Progress, add_command, add_group, open_db
from .config import Config


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def cmd_retention(config: Config, args: argparse.Namespace) -> int:
    days = None if args.days == "keep" else args.days
    if days is not None and (not days.isdigit() or int(days) < 1):
        raise CLIError("retention is a number of days (1 or more), or 'keep'")
    db = open_db(config)
    try:
        retention.set_retention(db, args.client, int(days) if days else None)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    print(f"client {args.client}: recordings kept {'for ever' if days is None else f'{days} days'}")
    return 0


def cmd_purge(config: Config, args: argparse.Namespace) -> int:
    db = open_db(config)
    expired = retention.expired_recordings(db, datetime.now(UTC), args.client)
    total = sum(r["size_bytes"] for r in expired)
    per_client = Counter(r["client_code"] for r in expired)
    if not expired:
        print("nothing to purge")
        return 0
    if not args.apply:
        print(f"would purge {len(expired)} recording(s), {_size(total)} (dry run: add --apply to delete):")
        for client, count in sorted(per_client.items()):
            print(f"  client {client}: {count}")
        for rec in expired[:20]:
            print(f"  {rec['created_at']}  {rec['path']}")
        if len(expired) > 20:
            print(f"  … and {len(expired) - 20} more")
        return 0
    progress = Progress(len(expired))

    def step(rec: dict) -> None:
        progress.start(rec["path"])
        progress.advance()

    report = purge_files(config.recordings_dir, expired, step)
    progress.finish()
    retention.mark_purged(db, report.purged, now_iso())
    print(f"purged {len(report.purged)} recording(s), {_size(report.bytes_freed)} freed"
          + (f"; {len(report.missing)} file(s) were already gone" if report.missing else ""))
    for rid, why in report.failed:
        print(f"  not purged: recording {rid}: {why}")
    return 1 if report.failed else 0


def cmd_check(config: Config, args: argparse.Namespace) -> int:
    db = open_db(config)
    rows = list(db.query(
        "SELECT id, client_code, path, size_bytes FROM recordings WHERE purged_at IS NULL "
        "AND (? IS NULL OR client_code = ?) ORDER BY id", [args.client, args.client]))
    problems = 0
    for rec in rows:
        try:
            info = measure(resolve(config.recordings_dir, rec["path"]))
        except RecordingError as exc:
            problems += 1
            print(f"recording {rec['id']} (client {rec['client_code']}): {exc}")
            continue
        if info.size_bytes != rec["size_bytes"]:
            problems += 1
            print(f"recording {rec['id']}: {rec['path']} is {info.size_bytes} bytes, "
                  f"the store says {rec['size_bytes']}")
    print(f"{len(rows)} recording(s) checked, {problems} problem(s)")
    return 1 if problems else 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "recordings", "recordings: retention, purge, check")
    p = add_command(group, "retention", cmd_retention, "how long a client's recordings are kept")
    p.add_argument("client")
    p.add_argument("days", help="a number of days, or 'keep'")
    p = add_command(group, "purge", cmd_purge, "delete recordings past retention (dry run unless --apply)")
    p.add_argument("--client", help="only this client")
    p.add_argument("--apply", action="store_true", help="really delete (default: show what would go)")
    p = add_command(group, "check", cmd_check, "report recordings whose file is missing, unreadable or changed")
    p.add_argument("--client", help="only this client")
