"""What the recipients read: the SMS (ending with its confirmation code) and the email, in French or English."""

from __future__ import annotations

SMS_TEXT_MAX = 300  # of the message itself; the whole SMS stays within three parts

_SMS = {
    "fr": "{client} : {text} - Pour confirmer, répondez {code}",
    "en": "{client}: {text} - To confirm, reply {code}",
}
_SUBJECT = {"fr": "[{client}] Message n° {id}", "en": "[{client}] Message #{id}"}
_EMAIL = {
    "fr": "Message pour {client}, pris le {created_at} (UTC) :\n\n{text}\n\n"
          "Confirmez que vous l'avez reçu en ouvrant ce lien :\n{link}\n",
    "en": "Message for {client}, taken {created_at} (UTC):\n\n{text}\n\n"
          "Confirm that you received it by opening this link:\n{link}\n",
}


def _language(language: str | None) -> str:
    return language if language in _SMS else "fr"


def sms(language: str | None, client: str, text: str, code: str) -> str:
    """The SMS; it ends with the code, which is what a reply must end with."""
    flat = "; ".join(line.strip() for line in text.splitlines() if line.strip())  # an SMS is one paragraph
    short = flat if len(flat) <= SMS_TEXT_MAX else flat[:SMS_TEXT_MAX - 1] + "…"
    return _SMS[_language(language)].format(client=client, text=short, code=code)


def email(language: str | None, client: str, message_id: int, created_at: str, text: str,
          link: str) -> tuple[str, str]:
    """(subject, body) of a dispatch email."""
    lang = _language(language)
    return (_SUBJECT[lang].format(client=client, id=message_id),
            _EMAIL[lang].format(client=client, created_at=created_at[:16].replace("T", " "), text=text, link=link))
