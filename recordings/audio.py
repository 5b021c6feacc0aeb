"""Audio facts and conversion for prompts: probe, convert, synthesize, validate uploads.

The prompt format is 8 kHz mono 16-bit signed PCM WAV: what Asterisk plays on a telephone channel
without transcoding. Conversion and probing of anything but plain PCM WAV go through sox; speech is
synthesized with espeak-ng. Both are Debian packages of the same names (mp3 input needs
libsox-fmt-mp3). Every file written here is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

PROMPT_RATE = 8000
PROMPT_CHANNELS = 1
PROMPT_SAMPLE_WIDTH = 2  # bytes
VOICES = {"fr": "fr-fr", "en": "en-us"}  # channel language -> espeak-ng voice
DEFAULT_SPEED = 150  # words per minute (espeak-ng's own default, 175, is hurried on the phone)
MIN_SECONDS = 0.2
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SILENCE_PEAK = 0.001  # peak amplitude (full scale = 1) under which a file is taken as silent, ~ -60 dBFS
TIMEOUT_S = 60.0  # for any one sox or espeak-ng run

_PACKAGES = {"sox": "sox", "espeak-ng": "espeak-ng"}


class AudioError(ValueError):
    """An audio file is unusable, or a tool needed to handle it failed; the message names the file."""


class AudioToolError(AudioError):
    """sox or espeak-ng is missing, would not start, or took too long: not the file's fault."""


@dataclass(frozen=True)
class AudioInfo:
    format: str  # file type as sox names it: wav, mp3, flac, ...
    rate: int  # samples per second
    channels: int
    sample_width: int  # bytes per sample; 0 for compressed formats without a fixed width (mp3, ogg)
    duration_s: float

    @property
    def is_prompt_format(self) -> bool:
        return (self.format, self.rate, self.channels, self.sample_width) == (
            "wav", PROMPT_RATE, PROMPT_CHANNELS, PROMPT_SAMPLE_WIDTH)


def _run(args: list[str], what: Path | str, *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool to success, or raise an AudioError naming `what` and the tool's own complaint."""
    tool = args[0]
    if shutil.which(tool) is None:
        raise AudioToolError(f"{what}: {tool} is not installed (Debian package {_PACKAGES.get(tool, tool)}; "
                             "see scripts/install-deps)")
    try:
        done = subprocess.run(args, input=stdin, capture_output=True, encoding="utf-8",
                              errors="replace", timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise AudioToolError(f"{what}: {tool} took longer than {TIMEOUT_S:g} s") from None
    except OSError as exc:
        raise AudioToolError(f"{what}: cannot run {tool}: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        reason = re.sub(r"^(sox )?(FAIL|WARN) \w+: ", "", reason)
        raise AudioError(f"{what}: {tool} failed: {reason}")
    return done


def _readable_file(path: Path) -> None:
    try:
        if not path.is_file():
            raise AudioError(f"{path}: not a file" if path.exists() else f"{path}: no such file")
        with path.open("rb"):
            pass
    except OSError as exc:
        raise AudioError(f"{path}: cannot read: {exc.strerror}") from None


def _probe_pcm_wav(path: Path) -> AudioInfo | None:
    try:
        with wave.open(str(path), "rb") as wav:
            rate, frames = wav.getframerate(), wav.getnframes()
            return AudioInfo("wav", rate, wav.getnchannels(), wav.getsampwidth(),
                             round(frames / rate, 3) if rate else 0.0)
    except (wave.Error, EOFError, OSError):
        return None  # not PCM WAV (u-law, GSM, extensible header...) or not WAV: sox decides


def probe(path: str | os.PathLike[str]) -> AudioInfo:
    """Format, rate, channels, sample width and duration, read from the file."""
    path = Path(path)
    _readable_file(path)
    if path.suffix.lower() == ".wav" and (info := _probe_pcm_wav(path)) is not None:
        return info
    fmt = _run(["sox", "--i", "-t", str(path)], path).stdout.strip()
    bits = int(_run(["sox", "--i", "-b", str(path)], path).stdout.strip() or 0)
    fields = dict(re.findall(r"^([A-Za-z ]+?)\s*: (.*)$", _run(["sox", "--i", str(path)], path).stdout, re.M))
    try:
        rate = int(float(fields["Sample Rate"]))
        channels = int(fields["Channels"])
        samples = int(re.search(r"= (\d+) samples", fields["Duration"]).group(1))  # type: ignore[union-attr]
    except (KeyError, ValueError, AttributeError):
        raise AudioError(f"{path}: sox gave no rate, channels or duration") from None
    return AudioInfo(fmt, rate, channels, (bits + 7) // 8, round(samples / rate, 3) if rate else 0.0)


def _atomic_output(dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.stem}.", suffix=".tmp")
    os.close(fd)
    return Path(name)


def convert_to_prompt(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> AudioInfo:
    """Convert any file sox reads into the prompt format at dst (replaced atomically); dst's facts."""
    src, dst = Path(src), Path(dst)
    _readable_file(src)
    tmp = _atomic_output(dst)
    try:
        _run(["sox", "-V1", str(src), "-t", "wav", "-r", str(PROMPT_RATE), "-c", str(PROMPT_CHANNELS),
              "-b", str(8 * PROMPT_SAMPLE_WIDTH), "-e", "signed-integer", str(tmp)], src)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; Asterisk may run as another user
        info = _probe_pcm_wav(tmp)
        if info is None or not info.is_prompt_format:
            raise AudioError(f"{src}: sox did not produce an 8 kHz mono 16-bit WAV")
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return info


def synthesize(text: str, language: str, dst: str | os.PathLike[str], *, speed: int = DEFAULT_SPEED,
               voice: str | None = None) -> AudioInfo:
    """Speak text with espeak-ng (voice from the language unless given) into a prompt file at dst."""
    dst = Path(dst)
    if not text.strip():
        raise AudioError(f"{dst}: no text to speak")
    voice = voice or VOICES.get(language)
    if voice is None:
        raise AudioError(f"{dst}: no espeak-ng voice for language {language!r} (known: {', '.join(VOICES)})")
    if not 80 <= speed <= 450:
        raise AudioError(f"{dst}: speed {speed} is out of range 80-450 words per minute")
    raw = _atomic_output(dst)
    try:
        # --stdin: text that starts with '-' is not an option, and any length is fine.
        _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), "--stdin"], dst, stdin=text)
        return convert_to_prompt(raw, dst)
    finally:
        raw.unlink(missing_ok=True)


def peak_amplitude(path: str | os.PathLike[str]) -> float:
    """The largest absolute sample value, full scale = 1.0 (sox's stat effect)."""
    path = Path(path)
    _readable_file(path)
    report = _run(["sox", "-V1", str(path), "-n", "stat"], path).stderr  # stat reports on stderr
    found = dict(re.findall(r"^(Maximum|Minimum) amplitude:\s*(-?[0-9.]+)", report, re.M))
    if len(found) != 2:
        raise AudioError(f"{path}: sox could not measure the level")
    return max(abs(float(found["Maximum"])), abs(float(found["Minimum"])))


def validate_upload(path: str | os.PathLike[str], max_seconds: float = 120) -> AudioInfo:
    """Facts of an uploaded file fit to become a prompt, or an AudioError naming the file and the reason."""
    path = Path(path)
    _readable_file(path)
    size = path.stat().st_size
    if size == 0:
        raise AudioError(f"{path}: empty file")
    if size > MAX_UPLOAD_BYTES:
        raise AudioError(f"{path}: too large ({size // (1024 * 1024)} MB, {MAX_UPLOAD_BYTES // (1024 * 1024)} MB "
                         "at most)")
    try:
        info = probe(path)
    except AudioToolError:
        raise
    except AudioError as exc:
        raise AudioError(f"{path}: not an audio file sox can read ({str(exc).split(': ', 1)[-1]})") from None
    if info.rate <= 0 or info.channels <= 0:
        raise AudioError(f"{path}: no audio in the file")
    if info.duration_s < MIN_SECONDS:
        raise AudioError(f"{path}: too short ({info.duration_s:.2f} s, {MIN_SECONDS} s at least)")
    if info.duration_s > max_seconds:
        raise AudioError(f"{path}: too long ({info.duration_s:.1f} s, {max_seconds:g} s at most)")
    if peak_amplitude(path) < SILENCE_PEAK:
        raise AudioError(f"{path}: silent (nothing louder than -60 dBFS)")
    return info
