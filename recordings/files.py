"""One naming scheme for recordings, and metadata measured from the file itself.

Name: <client code>/<YYYY>/<MM>/<DD>/<linkedid> (UTC date of the call's start); MixMonitor adds the
format's extension. Paths in the store are relative to the recordings directory, so Asterisk and the
back end may mount that directory at different places.
"""

from __future__ import annotations

import re
import wave
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_LINKEDID = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
_CLIENT = re.compile(r"^[0-9]{4,5}$")


class RecordingError(ValueError):
    """A recording file is missing, unreadable or not what it claims to be."""


@dataclass(frozen=True)
class RecordingInfo:
    size_bytes: int
    duration_s: float
    format: str


def recording_name(client_code: str, linkedid: str, started: datetime) -> str:
    if not _CLIENT.match(client_code):
        raise ValueError(f"bad client code {client_code!r}")
    if not _LINKEDID.match(linkedid) or linkedid.startswith("."):
        raise ValueError(f"bad linkedid {linkedid!r}")
    return f"{client_code}/{started:%Y/%m/%d}/{linkedid}"


def resolve(root: Path, relative: str) -> Path:
    """The file for a stored relative path; refuses anything that leaves the root."""
    parts = [part for part in relative.split("/") if part not in ("", ".")]  # as PurePosixPath reads it
    if relative.startswith("/") or ".." in parts or not parts:
        raise RecordingError(f"recording path {relative!r} leaves the recordings directory")
    return root.joinpath(*parts)


def measure(path: Path) -> RecordingInfo:
    """Size, duration and format, read from the file (WAV header)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RecordingError(f"{path}: {exc.strerror}") from None
    suffix = path.suffix.lower().lstrip(".")
    if suffix != "wav":
        raise RecordingError(f"{path}: unsupported recording format {suffix!r}")
    try:
        with wave.open(str(path), "rb") as wav:
            frames, rate = wav.getnframes(), wav.getframerate()
    except (wave.Error, EOFError, OSError) as exc:
        raise RecordingError(f"{path}: not a readable WAV file ({exc})") from None
    return RecordingInfo(size_bytes=size, duration_s=round(frames / rate, 3) if rate else 0.0, format="wav")
