"""Deleting recordings past their client's retention: files first, then the rows are marked purged.

A file already gone is reported, not fatal; the row is still marked, so the history says the
recording existed and the API answers 410 for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .files import RecordingError, resolve


@dataclass
class PurgeReport:
    deleted: list[int] = field(default_factory=list)  # recording ids whose file was removed
    missing: list[int] = field(default_factory=list)  # recording ids whose file was already gone
    failed: list[tuple[int, str]] = field(default_factory=list)  # (id, why): left in place
    bytes_freed: int = 0

    @property
    def purged(self) -> list[int]:
        """The rows to mark purged: deleted or already missing."""
        return self.deleted + self.missing


def purge_files(root: Path, recordings: Iterable[dict], on_step: Callable[[dict], None] | None = None) -> PurgeReport:
    report = PurgeReport()
    for rec in recordings:
        if on_step is not None:
            on_step(rec)
        try:
            path = resolve(root, rec["path"])
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            report.missing.append(rec["id"])
        except (OSError, RecordingError) as exc:
            report.failed.append((rec["id"], str(exc)))
        else:
            report.deleted.append(rec["id"])
            report.bytes_freed += size
    return report
