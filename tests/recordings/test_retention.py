from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recordings.retention import purge_files
from store import CallRecord, RecordingRecord, Scope, calls, retention
from store.clock import iso
from tests.support import two_clients

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    yield from two_clients(tmp_path)


def _recording(db, root, client: str, linkedid: str, age_days: int) -> None:
    rel = f"{client}/old/{linkedid}.wav"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(b"RIFF" + b"\0" * 96)
    calls.save_call(db, CallRecord(linkedid=linkedid, client_code=client, started_at=iso(NOW), disposition="answered",
                                   recordings=(RecordingRecord(rel, 100, 1.0, "wav"),)))
    db.execute("UPDATE recordings SET created_at = ? WHERE path = ?", [iso(NOW - timedelta(days=age_days)), rel])


def test_only_recordings_past_their_clients_retention_expire(db, tmp_path):
    root = tmp_path / "rec"
    _recording(db, root, "1000", "1.1", 40)
    _recording(db, root, "1000", "1.2", 10)
    _recording(db, root, "2000", "2.1", 400)  # client 2000 keeps for ever
    assert retention.expired_recordings(db, NOW) == []
    retention.set_retention(db, "1000", 30)
    assert [r["linkedid"] for r in retention.expired_recordings(db, NOW)] == ["1.1"]
    assert retention.expired_recordings(db, NOW, "2000") == []
    with pytest.raises(ValueError):
        retention.set_retention(db, "1000", 0)
    with pytest.raises(ValueError):
        retention.set_retention(db, "9999", 5)


def test_purge_deletes_files_reports_missing_ones_and_marks_rows(db, tmp_path):
    root = tmp_path / "rec"
    _recording(db, root, "1000", "1.1", 40)
    _recording(db, root, "1000", "1.3", 50)
    (root / "1000/old/1.3.wav").unlink()  # already gone
    retention.set_retention(db, "1000", 30)
    expired = retention.expired_recordings(db, NOW)
    seen = []
    report = purge_files(root, expired, seen.append)
    assert len(seen) == 2 and report.bytes_freed == 100
    assert len(report.deleted) == 1 and len(report.missing) == 1 and report.failed == []
    assert not (root / "1000/old/1.1.wav").exists()
    retention.mark_purged(db, report.purged, iso(NOW))
    assert retention.expired_recordings(db, NOW) == []
    rec = calls.get_call(db, Scope.client("1000"), "1.1", now=NOW)["recordings"][0]
    assert rec["purged_at"] == iso(NOW)
