from __future__ import annotations

import wave
from datetime import UTC, datetime

import pytest

from recordings import measure, recording_name, resolve
from recordings.files import RecordingError


def test_name_is_client_date_linkedid():
    assert recording_name("1000", "1700000000.42", datetime(2026, 3, 9, 23, 0, tzinfo=UTC)) == \
        "1000/2026/03/09/1700000000.42"
    for bad in ("../x", ".hidden", "a/b", ""):
        with pytest.raises(ValueError):
            recording_name("1000", bad, datetime.now(UTC))


def test_resolve_refuses_escapes(tmp_path):
    assert resolve(tmp_path, "1000/a.wav") == tmp_path / "1000" / "a.wav"
    for bad in ("../etc/passwd", "/etc/passwd", "1000/../../x"):
        with pytest.raises(RecordingError):
            resolve(tmp_path, bad)


def test_measure_reads_the_wav_header(tmp_path):
    path = tmp_path / "r.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 12000)
    info = measure(path)
    assert info.duration_s == 1.5 and info.format == "wav" and info.size_bytes == path.stat().st_size


def test_measure_reports_missing_and_corrupt_files(tmp_path):
    with pytest.raises(RecordingError, match="No such file"):
        measure(tmp_path / "none.wav")
    (tmp_path / "bad.wav").write_bytes(b"not a wav at all")
    with pytest.raises(RecordingError, match="not a readable WAV"):
        measure(tmp_path / "bad.wav")
