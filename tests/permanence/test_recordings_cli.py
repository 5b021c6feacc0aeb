from __future__ import annotations

from datetime import UTC, datetime, timedelta

from permanence.cli import main
from store import CallRecord, RecordingRecord, calls, clients, connect, migrate
from store.clock import iso


def _setup(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite3"
    rec = tmp_path / "rec"
    monkeypatch.setenv("PERMANENCE_MODE", "demo")
    monkeypatch.setenv("PERMANENCE_STORE_PATH", str(store))
    monkeypatch.setenv("PERMANENCE_PATHS_RECORDINGS", str(rec))
    config = tmp_path / "p.toml"
    config.write_text("")
    migrate(store)
    db = connect(store)
    clients.add_client(db, "1000", "A")
    for n, age in ((1, 90), (2, 60), (3, 1)):
        rel = f"1000/x/{n}.wav"
        (rec / rel).parent.mkdir(parents=True, exist_ok=True)
        (rec / rel).write_bytes(b"\0" * 2048)
        calls.save_call(db, CallRecord(linkedid=f"{n}.1", client_code="1000", started_at=iso(datetime.now(UTC)),
                                       disposition="answered", recordings=(RecordingRecord(rel, 2048, 1.0, "wav"),)))
        db.execute("UPDATE recordings SET created_at = ? WHERE path = ?",
                   [iso(datetime.now(UTC) - timedelta(days=age)), rel])
    db.close()
    return config, rec


def test_purge_is_a_dry_run_until_applied(tmp_path, monkeypatch, capsys):
    config, rec = _setup(tmp_path, monkeypatch)
    assert main(["-c", str(config), "recordings", "purge"]) == 0
    assert "nothing to purge" in capsys.readouterr().out
    assert main(["-c", str(config), "recordings", "retention", "1000", "30"]) == 0
    assert main(["-c", str(config), "recordings", "purge"]) == 0
    out = capsys.readouterr().out
    assert "would purge 2 recording(s), 4.0 KB" in out and "1000/x/1.wav" in out
    assert len(list(rec.rglob("*.wav"))) == 3  # dry run: nothing deleted
    assert main(["-c", str(config), "recordings", "purge", "--apply"]) == 0
    captured = capsys.readouterr()
    assert "purged 2 recording(s), 4.0 KB freed" in captured.out
    assert "2/2" in captured.err  # the progress bar
    assert sorted(p.name for p in rec.rglob("*.wav")) == ["3.wav"]
    assert main(["-c", str(config), "recordings", "purge", "--apply"]) == 0
    assert "nothing to purge" in capsys.readouterr().out


def test_check_reports_missing_and_unreadable_files_without_crashing(tmp_path, monkeypatch, capsys):
    config, rec = _setup(tmp_path, monkeypatch)
    (rec / "1000/x/2.wav").unlink()
    assert main(["-c", str(config), "recordings", "check"]) == 1
    out = capsys.readouterr().out
    assert "recording 2 (client 1000)" in out and "No such file" in out
    assert "recording 1 (client 1000)" in out and "not a readable WAV" in out  # zeros, not a WAV
    assert "3 recording(s) checked, 3 problem(s)" in out


def test_bad_retention_is_refused(tmp_path, monkeypatch, capsys):
    config, _ = _setup(tmp_path, monkeypatch)
    assert main(["-c", str(config), "recordings", "retention", "1000", "soon"]) == 2
    assert "number of days" in capsys.readouterr().err
    assert main(["-c", str(config), "recordings", "retention", "1000", "keep"]) == 0
