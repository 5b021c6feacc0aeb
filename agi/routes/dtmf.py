"""Reading DTMF over AGI: prompts a digit may interrupt, then digits one by one with a deadline."""

from __future__ import annotations

from collections.abc import Sequence

from ..session import AGISession

DIGITS = "0123456789*#"


async def ask(session: AGISession, files: Sequence[str], *, max_digits: int, timeout_s: float,
              terminator: str = "#") -> str:
    """Play `files` (any digit cuts them short), then read up to max_digits digits.

    Returns '' when nothing was pressed in time. For entries of several digits the terminator ends
    the entry early and is not part of the result; timeout_s also bounds the gap between digits.
    """
    got = ""
    for name in files:
        digit = await session.stream_file(name, DIGITS)
        if digit:
            got = digit
            break
    if not got:
        digit = await session.wait_for_digit(timeout_s)
        if digit is None:
            return ""
        got = digit
    while len(got) < max_digits and not (max_digits > 1 and got.endswith(terminator)):
        digit = await session.wait_for_digit(timeout_s)
        if digit is None:
            break
        got += digit
    if max_digits > 1 and got.endswith(terminator):
        got = got[: -len(terminator)]
    return got
