"""The phone step: the message spoken (espeak-ng, an 8 kHz file in the recordings directory, which
Asterisk reads), then a call to the contact through the originate manager user; once answered, the
`dispatch` FastAGI route plays it and takes 1 (confirm) or 2 (repeat)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ami.originate import DispatchCall, NotAnswered, OriginateError, Originator
from recordings.audio import AudioError, synthesize
from recordings.dispatch_prompts import INTRO, language_of, message_prompt
from store.dispatch import Attempt

from .scheduler import PhoneError, PhoneUnanswered


@dataclass
class PhoneChannel:
    originator: Originator
    recordings_dir: Path  # as the back end writes it ([paths] recordings)
    outbound: str  # the carrier's host[:port] for outbound calls ([phone] outbound)
    ring_s: int = 30
    caller_id: str = ""

    async def _speak(self, text: str, language: str, prompt: str) -> None:
        target = self.recordings_dir / f"{prompt}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            await asyncio.to_thread(synthesize, text, language_of(language), target)
        except AudioError as exc:
            raise PhoneError(f"cannot speak the message: {exc}") from None

    async def call(self, attempt: Attempt, text: str, language: str, client_name: str = "") -> str:
        lang = language_of(language)
        intro = INTRO[lang].format(client=client_name) if client_name else ""
        await self._speak(f"{intro} {text}".strip(), lang, message_prompt(attempt.id))
        try:
            call = DispatchCall(attempt.recipient or "", self.outbound, attempt.id, self.ring_s, self.caller_id)
            await self.originator.call(call)
        except (ValueError, OriginateError) as exc:
            # Not heard: its audio goes (the dispatch route removes it after a call that was answered).
            (self.recordings_dir / f"{message_prompt(attempt.id)}.wav").unlink(missing_ok=True)
            if isinstance(exc, NotAnswered):
                raise PhoneUnanswered(f"not answered: {exc}") from None
            raise PhoneError(str(exc)) from None
        return "answered"
