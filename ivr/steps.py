"""What the IVR engine asks the AGI route to do, and what the route answers. Pure data.

The route loops: step = session.next(answer); it carries out the step with AGI commands and feeds
back the answer (Digits for Ask and Confirm, None otherwise) until the step is an Exit, whose
variables it sets on the channel before returning to the dialplan.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Play:
    """Play prompts in order (prompt references, see ivr.prompts); nothing is read."""

    prompts: tuple[str, ...]


@dataclass(frozen=True)
class Ask:
    """Play prompts (a digit interrupts them), then read up to max_digits digits.

    The answer is Digits: '' when nothing came within timeout_s; entry of several digits ends early
    on the terminator key.
    """

    prompts: tuple[str, ...]
    max_digits: int
    timeout_s: float
    terminator: str = "#"


@dataclass(frozen=True)
class SayDigits:
    """Read digits back to the caller (a collect node's confirmation)."""

    digits: str


@dataclass(frozen=True)
class SetLanguage:
    language: str


@dataclass(frozen=True)
class Exit:
    """The IVR is done; the dialplan takes over with these channel variables set."""

    action: str  # queue | voicemail | oncall | transfer | checkin | hangup | fallback
    target: str = ""
    variables: dict[str, str] = field(default_factory=dict)


Step = Play | Ask | SayDigits | SetLanguage | Exit


@dataclass(frozen=True)
class Digits:
    value: str  # '' = timeout


@dataclass(frozen=True)
class PathEntry:
    """One step of a call's IVR path, kept in the call history."""

    menu: str
    node: str
    kind: str  # the node type
    digit: str | None  # what the caller pressed at this node, if anything
    outcome: str  # e.g. 'choice 1 -> sales', 'timeout 1/3', 'invalid', 'open', 'closed', 'exit queue 1000-main'
