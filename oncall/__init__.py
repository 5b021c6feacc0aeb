"""oncall: who is on call for a client — rotations, overrides, the calendar feed. Pure, no I/O:
the store keeps the data (store/oncall.py) and answers `who_is_on_call` with this package."""

from .rotation import (
    PERIODS,
    Override,
    Rotation,
    Segment,
    contact_of_shift,
    on_call_at,
    segments_from,
    shift_at,
    timeline,
    whole_segments,
)

__all__ = ["PERIODS", "Override", "Rotation", "Segment", "contact_of_shift", "on_call_at", "segments_from",
           "shift_at", "timeline", "whole_segments"]
