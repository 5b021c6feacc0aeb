"""Phone numbers as the store keys them: E.164 ('+15145550100')."""

from __future__ import annotations

import functools

import phonenumbers


class NumberError(ValueError):
    """The text is not a usable phone number."""


def to_e164(text: str, default_region: str = "CA") -> str:
    """Normalise a dialled number: '5145550100', '15145550100' and '+1 514-555-0100' agree."""
    return _to_e164((text or "").strip(), default_region)


# Pure, and called twice a call with the same few thousand numbers (DIDs, returning callers):
# parsing costs ~70 µs, a hit under 1 µs. Bounded, so a flood of new numbers cannot grow it.
@functools.lru_cache(maxsize=8192)
def _to_e164(raw: str, default_region: str) -> str:
    if not raw or len(raw) > 32:
        raise NumberError(f"not a phone number: {raw!r}")
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NumberError(f"not a phone number: {raw!r} ({exc})") from None
    if not phonenumbers.is_possible_number(number):
        raise NumberError(f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid_did(text: str, default_region: str = "CA") -> bool:
    """A DID an admin may register: a valid number, not merely a possible one."""
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)
