"""A client's directory: the people the answering service reaches for it (on call, messages).

Numbers are kept in E.164 (valid numbers only, read in the default region when typed without their
country code); an email address is checked for its syntax (email-validator, no DNS look-up) and kept
normalised. A contact that can receive SMS needs a mobile number.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
import sqlite_utils
from email_validator import EmailNotValidError, validate_email

from .clients import LANGUAGES, ClientConflict, ClientError, ClientNotFound, get_client
from .clock import now_iso

MAX_NAME = 128
MAX_ROLE = 128
MAX_EMAIL = 254
FIELDS = ("name", "role", "mobile", "office", "email", "sms", "language")


class ContactError(ClientError):
    """A contact was refused; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        # The message names the field itself: the command line prints it as it is.
        super().__init__(message if field is None or message.startswith(field) else f"{field}: {message}", field)


class ContactNotFound(ContactError, ClientNotFound):
    """No such contact for this client (another client's contact is not found either)."""


class ContactInUse(ContactError, ClientConflict):
    """The contact is on the on-call rotation or in an override."""


@dataclass(frozen=True)
class Contact:
    id: int
    client_code: str
    name: str
    role: str = ""
    mobile: str | None = None
    office: str | None = None
    email: str | None = None
    sms: bool = False
    language: str = "fr"


def _text(value: object, name: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ContactError("must be text", name)
    value = value.strip()
    if required and not value:
        raise ContactError("is empty", name)
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise ContactError(f"at most {limit} characters, no control characters", name)
    return value


def phone(value: object, name: str, default_region: str = "CA") -> str | None:
    """A valid number in E.164, or None for an empty one."""
    text = _text(value, name, 32)
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ContactError(f"{text!r} is not a phone number ({exc})", name) from None
    if not phonenumbers.is_valid_number(number):
        raise ContactError(f"{text!r} is not a valid phone number", name)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(value: object) -> str | None:
    text = _text(value, "email", MAX_EMAIL)
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ContactError(f"{text!r} is not an email address: {exc}", "email") from None


def _checked(fields: dict[str, object], default_region: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in fields.items():
        if name == "name":
            out[name] = _text(value, name, MAX_NAME, required=True)
        elif name == "role":
            out[name] = _text(value, name, MAX_ROLE)
        elif name in ("mobile", "office"):
            out[name] = phone(value, name, default_region)
        elif name == "email":
            out[name] = email(value)
        elif name == "sms":
            if not isinstance(value, bool):
                raise ContactError("must be true or false", name)
            out[name] = int(value)
        elif name == "language":
            if value not in LANGUAGES:
                raise ContactError(f"must be one of {', '.join(LANGUAGES)}, got {value!r}", name)
            out[name] = value
        else:
            raise ContactError("unknown field", name)
    return out


def _row(row: dict) -> Contact:
    return Contact(row["id"], row["client_code"], row["name"], row["role"], row["mobile"], row["office"],
                   row["email"], bool(row["sms"]), row["language"])


def _sms_needs_mobile(contact: Contact) -> None:
    if contact.sms and not contact.mobile:
        raise ContactError("a contact that receives SMS needs a mobile number", "sms")


def add_contact(db: sqlite_utils.Database, client_code: str, name: str, *, default_region: str = "CA",
                **fields: object) -> Contact:
    client = get_client(db, client_code)
    if client is None:
        raise ClientNotFound(f"no client {client_code}", "client")
    values = _checked({"name": name, **fields}, default_region)
    values.setdefault("language", client.language)
    candidate = Contact(0, client_code, **{k: (bool(v) if k == "sms" else v) for k, v in values.items()})
    _sms_needs_mobile(candidate)
    columns = ", ".join(values)  # names checked by _checked
    cursor = db.execute(
        f"INSERT INTO contacts (client_code, created_at, {columns}) VALUES (?, ?{', ?' * len(values)})",  # noqa: S608
        [client_code, now_iso(), *values.values()])
    found = get_contact(db, client_code, int(cursor.lastrowid or 0))
    assert found is not None
    return found


def get_contact(db: sqlite_utils.Database, client_code: str, contact_id: int) -> Contact | None:
    rows = list(db.query("SELECT * FROM contacts WHERE id = ? AND client_code = ?", [contact_id, client_code]))
    return _row(rows[0]) if rows else None


def list_contacts(db: sqlite_utils.Database, client_code: str) -> list[Contact]:
    return [_row(r) for r in db.query("SELECT * FROM contacts WHERE client_code = ? ORDER BY name, id",
                                      [client_code])]


def contacts_by_id(db: sqlite_utils.Database, client_code: str) -> dict[int, Contact]:
    return {c.id: c for c in list_contacts(db, client_code)}


def update_contact(db: sqlite_utils.Database, client_code: str, contact_id: int, *, default_region: str = "CA",
                   **fields: object) -> Contact:
    """Change the fields given; an empty mobile, office or email removes it."""
    current = get_contact(db, client_code, contact_id)
    if current is None:
        raise ContactNotFound(f"client {client_code} has no contact {contact_id}", "id")
    values = _checked(fields, default_region)
    merged = {**current.__dict__, **{k: (bool(v) if k == "sms" else v) for k, v in values.items()}}
    _sms_needs_mobile(Contact(**merged))
    if values:
        assignments = ", ".join(f"{column} = ?" for column in values)
        db.execute(f"UPDATE contacts SET {assignments} WHERE id = ?", [*values.values(), contact_id])  # noqa: S608
    found = get_contact(db, client_code, contact_id)
    assert found is not None
    return found


def remove_contact(db: sqlite_utils.Database, client_code: str, contact_id: int) -> None:
    if get_contact(db, client_code, contact_id) is None:
        raise ContactNotFound(f"client {client_code} has no contact {contact_id}", "id")
    rotations = [r[0] for r in db.execute("SELECT DISTINCT schedule FROM oncall_members WHERE contact_id = ? "
                                          "ORDER BY schedule", [contact_id])]
    if rotations:
        named = "" if rotations == ["default"] else f" of schedule(s) {', '.join(rotations)}"
        raise ContactInUse(f"contact {contact_id} is on the on-call rotation{named}: take it off first", "id")
    overrides = [r[0] for r in db.execute("SELECT id FROM oncall_overrides WHERE contact_id = ? ORDER BY id",
                                          [contact_id])]
    if overrides:
        raise ContactInUse(f"contact {contact_id} is on call in override(s) {', '.join(map(str, overrides))}: "
                           f"remove them first", "id")
    db.execute("DELETE FROM contacts WHERE id = ?", [contact_id])
