"""`dispatch`: a contact called by a dispatch step hears the message (spoken before the call) and presses
1 to confirm it or 2 to hear it again. The confirmation is the store's, on the attempt named by the
call (DISPATCH_ATTEMPT): it counts while that step still waits, as an SMS code or an email link does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ivr.prompts import prompt_file
from recordings.dispatch_prompts import MENU, THANKS, language_of, message_prompt
from store import Store, contacts, dispatch
from store.clock import iso

from ..session import AGISession

log = logging.getLogger(__name__)
MAX_PLAYS = 3  # the message and its menu, heard at most three times
WAIT_S = 6.0  # for a key after the menu


class DispatchRoute:
    def __init__(self, store: Store, prompts_dir: str, recordings_dir: str, wake: Callable[[], None],
                 local_recordings: Path | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.prompts_dir = prompts_dir  # both as Asterisk sees them
        self.recordings_dir = recordings_dir
        self.local_recordings = local_recordings  # the same as the back end sees it, to remove the spoken message
        self.wake = wake
        self.clock = clock

    async def __call__(self, session: AGISession) -> None:
        text = session.args[0] if session.args else ""
        attempt = await self.store.read(
            lambda db: dispatch.get_attempt(db, int(text)) if text.isdigit() and len(text) < 19 else None)
        if attempt is None or attempt.channel != "phone":
            log.warning("dispatch: call %s names no phone attempt (%r)", session.call_ref, text)
            return
        language = await self.store.read(lambda db: self._language(db, attempt.message_id, attempt.id))
        message = f"{self.recordings_dir}/{message_prompt(attempt.id)}"
        pressed = False
        try:
            pressed = await self._read(session, attempt, message, language)
        finally:
            # Heard or not, the text stays in the message's history; its audio is not kept.
            if self.local_recordings is not None:
                (self.local_recordings / f"{message_prompt(attempt.id)}.wav").unlink(missing_ok=True)
            if not pressed:  # hung up, or a voicemail heard it all: no need to wait for the deadline
                ended = await self.store.write(lambda db: dispatch.attempt_ended(
                    db, attempt, "not_confirmed", iso(self.clock()), "the call ended without 1 pressed"))
                if ended:
                    self.wake()

    async def _read(self, session: AGISession, attempt: dispatch.Attempt, message: str, language: str) -> bool:
        """The message and the menu, three times at most; 1 confirms (then thanks), 2 or nothing repeats.
        Whether 1 was pressed."""
        menu = prompt_file(MENU, client_code="", language=language, prompts_dir=self.prompts_dir)
        for _ in range(MAX_PLAYS):
            key = await session.stream_file(message, "12")
            if key is None:
                key = await session.stream_file(menu, "12")
            if key is None:
                key = await session.wait_for_digit(WAIT_S)
            if key == "1":
                outcome = await self.store.write(lambda db: dispatch.phone_confirm(db, attempt.id, iso(self.clock())))
                log.info("dispatch: message %d confirmed by phone: %s", attempt.message_id, outcome.result)
                if outcome.result == "confirmed":
                    self.wake()  # the dispatcher looks at once
                await session.stream_file(prompt_file(THANKS, client_code="", language=language,
                                                      prompts_dir=self.prompts_dir))
                return True
            # 2, another key or none: the message again
        return False

    @staticmethod
    def _language(db, message_id: int, attempt_id: int) -> str:
        row = db.execute("SELECT m.client_code, h.contact_id FROM message_history h JOIN messages m "
                         "ON m.id = h.message_id WHERE h.id = ?", [attempt_id]).fetchone()
        contact = contacts.get_contact(db, row[0], row[1]) if row and row[1] is not None else None
        return language_of(contact.language if contact else None)
