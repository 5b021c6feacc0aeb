from __future__ import annotations

import os
import re
import subprocess
import wave
from pathlib import Path

import pytest

from recordings import audio
from recordings.audio import (
    AudioError,
    AudioInfo,
    AudioToolError,
    convert_to_prompt,
    peak_amplitude,
    probe,
    synthesize,
    validate_upload,
)


def tone(path: Path, *, rate: int = 8000, channels: int = 1, seconds: float = 1.0, extra: tuple = ()) -> Path:
    """A 440 Hz tone made by sox, format from the extension."""
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", str(channels), *extra, str(path),
                    "synth", str(seconds), "sine", "440"], check=True)
    return path


def pcm_wav(path: Path, *, rate: int = 8000, channels: int = 1, width: int = 2, frames: int = 8000,
            sample: bytes | None = None) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes((sample or b"\x00" * width) * channels * frames)
    return path


def read_prompt(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate()


def test_probe_reads_a_pcm_wav_header(tmp_path):
    info = probe(pcm_wav(tmp_path / "a.wav", rate=16000, channels=2, frames=24000))
    assert info == AudioInfo("wav", 16000, 2, 2, 1.5)
    assert not info.is_prompt_format
    assert probe(pcm_wav(tmp_path / "b.wav", frames=4000)).is_prompt_format


@pytest.mark.parametrize(("name", "rate", "channels", "extra", "expected"), [
    ("t.flac", 44100, 2, ("-b", "24"), AudioInfo("flac", 44100, 2, 3, 1.0)),
    ("ulaw.wav", 22050, 2, ("-e", "u-law"), AudioInfo("wav", 22050, 2, 1, 1.0)),
    ("t.ogg", 48000, 1, (), None),
])
def test_probe_reads_other_formats_through_sox(tmp_path, name, rate, channels, extra, expected):
    info = probe(tone(tmp_path / name, rate=rate, channels=channels, extra=extra))
    if expected is not None:
        assert info == expected
    else:
        assert (info.format, info.rate, info.channels) == ("vorbis", rate, channels)
        assert abs(info.duration_s - 1.0) < 0.05


@pytest.mark.parametrize(("name", "rate", "channels", "extra"), [
    ("cd.wav", 44100, 2, ()),
    ("wide.wav", 16000, 1, ("-b", "24")),
    ("ulaw.wav", 22050, 2, ("-e", "u-law")),
    ("t.flac", 48000, 2, ()),
    ("t.mp3", 44100, 2, ()),  # mp3 input needs libsox-fmt-mp3 (scripts/install-deps)
])
def test_convert_makes_8k_mono_16bit_wav(tmp_path, name, rate, channels, extra):
    src = tone(tmp_path / name, rate=rate, channels=channels, seconds=2.0, extra=extra)
    dst = tmp_path / "out" / "prompt.wav"
    info = convert_to_prompt(src, dst)
    got_rate, got_channels, got_width, seconds = read_prompt(dst)
    assert (got_rate, got_channels, got_width) == (8000, 1, 2)
    assert info.is_prompt_format and abs(info.duration_s - seconds) < 0.001
    assert abs(seconds - 2.0) < 0.1  # the sound itself, not just a header
    assert 0.5 < peak_amplitude(dst) <= 1.0
    assert oct(dst.stat().st_mode & 0o777) == "0o644"


def test_convert_in_place_and_failed_conversion_leaves_dst_alone(tmp_path):
    src = tone(tmp_path / "p.wav", rate=44100, channels=2)
    convert_to_prompt(src, src)
    assert read_prompt(src)[:3] == (8000, 1, 2)

    dst = pcm_wav(tmp_path / "keep.wav")
    before = dst.read_bytes()
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio at all\n")
    with pytest.raises(AudioError, match=r"bad\.wav"):
        convert_to_prompt(bad, dst)
    assert dst.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav", "keep.wav", "p.wav"]  # no temporary left


@pytest.mark.parametrize(("text", "language"), [
    ("Bonjour, vous êtes bien chez votre service de permanence.", "fr"),
    ("Hello, you have reached your answering service.", "en"),
    ("-s 999 starts like an option", "en"),
])
def test_synthesize_speaks_into_the_prompt_format(tmp_path, text, language):
    dst = tmp_path / language / "p.wav"
    info = synthesize(text, language, dst)
    assert read_prompt(dst)[:3] == (8000, 1, 2) and info.is_prompt_format
    assert info.duration_s > 1.0
    assert peak_amplitude(dst) > 0.1
    assert [p.name for p in dst.parent.iterdir()] == ["p.wav"]


def test_synthesize_speed_changes_the_length(tmp_path):
    text = "Pour joindre la réception, faites le 1."
    slow = synthesize(text, "fr", tmp_path / "slow.wav", speed=100).duration_s
    fast = synthesize(text, "fr", tmp_path / "fast.wav", speed=250).duration_s
    assert slow > 1.5 * fast


def test_synthesize_refuses_what_it_cannot_say(tmp_path):
    with pytest.raises(AudioError, match=r"p\.wav: no espeak-ng voice for language 'de'"):
        synthesize("Guten Tag", "de", tmp_path / "p.wav")
    with pytest.raises(AudioError, match="no text"):
        synthesize("  \n", "fr", tmp_path / "p.wav")
    with pytest.raises(AudioError, match="speed"):
        synthesize("Bonjour", "fr", tmp_path / "p.wav", speed=5)
    with pytest.raises(AudioError, match=r"espeak-ng failed: .*voice does not exist"):
        synthesize("Bonjour", "fr", tmp_path / "p.wav", voice="zz")
    assert list(tmp_path.iterdir()) == []


def test_validate_upload_accepts_a_recording(tmp_path):
    info = validate_upload(tone(tmp_path / "greeting.mp3", rate=44100, channels=2, seconds=3))
    assert info.format == "mp3" and abs(info.duration_s - 3) < 0.1


@pytest.mark.parametrize(("make", "reason"), [
    (lambda d: (d / "x.wav").write_text("hello, I am text\n") and d / "x.wav", "not an audio file sox can read"),
    (lambda d: (d / "x.mp3").write_bytes(os.urandom(4096)) and d / "x.mp3", "not an audio file sox can read"),
    (lambda d: (d / "x.wav").write_bytes(b"") or d / "x.wav", "empty file"),
    (lambda d: d / "absent.wav", "no such file"),
    (lambda d: d, "not a file"),
    (lambda d: tone(d / "x.wav", seconds=0.1), r"too short \(0\.10 s"),
    (lambda d: tone(d / "x.flac", seconds=3), r"too long \(3\.0 s, 2 s at most\)"),
    (lambda d: pcm_wav(d / "x.wav", frames=16000), "silent"),
])
def test_validate_upload_refuses_with_file_and_reason(tmp_path, make, reason):
    path = make(tmp_path)
    with pytest.raises(AudioError, match=reason) as caught:
        validate_upload(path, max_seconds=2)
    assert str(caught.value).startswith(f"{path}:")


def test_validate_upload_refuses_an_unreadable_file(tmp_path, monkeypatch):
    path = tone(tmp_path / "x.wav")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)  # chmod 0 would not stop root
    with pytest.raises(AudioError, match=f"^{re.escape(str(path))}: cannot read: Permission denied$"):
        validate_upload(path)


def test_missing_tools_are_named(tmp_path, monkeypatch):
    flac = tone(tmp_path / "x.flac")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(AudioToolError, match=r"x\.flac: sox is not installed \(Debian package sox"):
        probe(flac)
    with pytest.raises(AudioToolError, match="sox is not installed"):
        validate_upload(flac)  # a missing tool is not the file's fault
    with pytest.raises(AudioToolError, match=r"espeak-ng is not installed \(Debian package espeak-ng"):
        synthesize("Bonjour", "fr", tmp_path / "p.wav")


def test_a_hung_tool_times_out(tmp_path, monkeypatch):
    flac = tone(tmp_path / "x.flac")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sox").write_text("#!/bin/sh\nexec sleep 10\n")
    (bin_dir / "sox").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(audio, "TIMEOUT_S", 0.3)
    with pytest.raises(AudioToolError, match=r"x\.flac: sox took longer than 0\.3 s"):
        validate_upload(flac)
