"""What a dispatch call plays, shared by the dispatch (which speaks the message before calling) and the
`dispatch` FastAGI route (which plays it): the message, spoken per attempt into the recordings
directory (client data, kept with the calls' recordings, which Asterisk reads and writes already), and
the menu and thanks, project prompts of svi_prompts (`common:dispatch-menu`, `common:dispatch-thanks`)."""

from __future__ import annotations

SUBDIR = "dispatch"  # under the recordings directory
MENU, THANKS = "common:dispatch-menu", "common:dispatch-thanks"
INTRO = {"fr": "Message du service de permanence pour {client}.",
         "en": "A message from the answering service for {client}."}


def language_of(language: str | None) -> str:
    return language if language in INTRO else "fr"


def message_prompt(attempt_id: int) -> str:
    """The attempt's spoken message under the recordings directory, without extension."""
    return f"{SUBDIR}/message-{attempt_id}"
