"""A caller on the fake Asterisk's channel, for the ivr and checkin routes: prompts play, keys are pressed.

    caller = Caller(["1", "1"], {"CLIENT_CODE": "1000"})   # '1' during the first prompt, then '1' again
    await call(server.port, agi_headers("ivr", "demo"), otherwise=caller)

Keys are pressed in order. A key interrupts the next prompt played with escape digits (STREAM FILE …
"0123456789*#", answered `200 result=<ASCII> endpos=…`), or else answers the next WAIT FOR DIGIT; a key
written "+9" is pressed late, once the prompts are over (only WAIT FOR DIGIT takes it). `None` is a key
not pressed: prompts play through and the next WAIT FOR DIGIT times out (`200 result=0`), as it does
once the keys run out. Prompts without escape digits always play through. `streamed` lists the
files played, `waits` the WAIT FOR DIGIT timeouts asked for (ms).

`hangup_at=N`: the caller hangs up during the Nth prompt (1-based): that STREAM FILE gets `hangup_answer`
(by default an inline `HANGUP` line, then the reply); any later command gets 511, as from a dead channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from store import menus

from .fake_asterisk import DEAD, LINKEDID, Answer, Channel, split_command

ENDPOS = "endpos=16000"
PROMPTS = "/prompts"  # the prompts directory the routes are given
DEMO_YAML_PATH = "ivr/examples/demo.yaml"


class Caller(Channel):
    def __init__(self, keys: Sequence[str | None] = (), variables: Mapping[str, str] | None = None, *,
                 hangup_at: int | None = None, hangup_answer: Answer = ("HANGUP", f"200 result=0 {ENDPOS}")) -> None:
        super().__init__({"CHANNEL(language)": "fr", **(variables or {})})
        self.keys: list[str | None] = list(keys)
        self.hangup_at = hangup_at
        self.hangup_answer = hangup_answer
        self.streamed: list[str] = []
        self.waits: list[int] = []
        self.dead = False

    def __call__(self, command: str) -> Answer:
        if self.dead:
            return DEAD
        words = split_command(command)
        verb = " ".join(w.upper() for w in words[:2])
        if verb == "STREAM FILE":
            assert len(words) == 4, f"STREAM FILE takes a file and escape digits: {command!r}"
            self.streamed.append(words[2])
            if self.hangup_at is not None and len(self.streamed) == self.hangup_at:
                self.dead = True
                return self.hangup_answer
            key = self.keys[0] if self.keys else None
            if words[3] and key is not None and not key.startswith("+"):
                self.keys.pop(0)
                assert key in words[3], f"{key!r} is not an escape digit of {command!r}"
                return f"200 result={ord(key)} {ENDPOS}"
            return f"200 result=0 {ENDPOS}"
        if verb == "WAIT FOR":
            assert words[2:3] == ["DIGIT"] and len(words) == 4, command
            self.waits.append(int(words[3]))
            key = self.keys.pop(0) if self.keys else None
            return "200 result=0" if key is None else f"200 result={ord(key.removeprefix('+'))}"
        if verb == "SAY DIGITS":
            return "200 result=0"
        return super().__call__(command)


def keys(*entries: str | None) -> list[str | None]:
    """keys("1", "1000#", None, "+9"): the keys of each entry in turn; None for a key not pressed; a
    leading '+' makes the entry's first key late."""
    out: list[str | None] = []
    for entry in entries:
        if entry is None:
            out.append(None)
        elif entry.startswith("+"):
            out.extend([entry[:2], *entry[2:]])
        else:
            out.extend(entry)
    return out


def demo_text() -> str:
    return (Path(__file__).parents[2] / DEMO_YAML_PATH).read_text(encoding="utf-8")


def apply_demo(db, text: str | None = None) -> menus.StoredMenu:
    """The demo menu (or a variant of its text) applied for client 1000, as `permanence ivr apply` does."""
    return menus.apply_menu(db, "demo", "1000", DEMO_YAML_PATH, text if text is not None else demo_text())


def ivr_channel(linkedid: str = LINKEDID, client: str = "1000", language: str = "fr") -> dict[str, str]:
    """The channel variables the dnis route left for the ivr route."""
    return {"CHANNEL(linkedid)": linkedid, "CLIENT_CODE": client, "CHANNEL(language)": language}
