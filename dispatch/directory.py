"""Whom a step reaches: the on-call contact of the client's schedule at that moment, or a named contact."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from store import contacts, oncall
from store.contacts import Contact
from store.oncall_schedules import DEFAULT
from store.protocols import ON_CALL


def recipient(db: sqlite_utils.Database, client_code: str, to: str | int | None, at: datetime,
              schedule: str = DEFAULT) -> Contact | None:
    """The contact a step goes to (None: nobody on call in that schedule, or the contact was removed)."""
    if to == ON_CALL:
        return oncall.who_is_on_call(db, client_code, at, schedule)
    if isinstance(to, int):
        return contacts.get_contact(db, client_code, to)
    return None


def address(channel: str, contact: Contact) -> tuple[str | None, str]:
    """The contact's address for a channel, or None and why there is none."""
    if channel == "sms":
        if not contact.sms or not contact.mobile:
            return None, f"{contact.name} cannot receive SMS"
        return contact.mobile, ""
    if channel == "phone":
        number = contact.mobile or contact.office
        return (number, "") if number else (None, f"{contact.name} has no phone number")
    if channel == "email":
        return (contact.email, "") if contact.email else (None, f"{contact.name} has no email address")
    return None, f"no address for channel {channel}"
