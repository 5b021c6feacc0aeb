"""recordings: where recording files live, what they are called and what they contain."""

from .files import RecordingInfo, measure, recording_name, resolve

__all__ = ["RecordingInfo", "measure", "recording_name", "resolve"]
