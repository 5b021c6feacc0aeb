"""A client's InfoPages: what agents and the client read about its business — addresses, phone
numbers, hours, products and services, and how its calls are to be handled (its protocol) — as an
ordered list of sections, each with a title and a text in French and in English.

The list is replaced whole (one admin edit is one consistent document); a section needs a title and
a text in at least one language.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from .clients import ClientError, ClientNotFound, get_client
from .clock import now_iso

KINDS = ("addresses", "phones", "hours", "products", "instructions", "other")
MAX_SECTIONS = 50
MAX_TITLE = 200
MAX_BODY = 20_000
LANGS = ("fr", "en")


class InfoPageError(ClientError):
    """A section was refused; `field` names it as sections[i].part.lang."""

    def __init__(self, message: str, field: str | None = None) -> None:
        # The message names the field itself: the command line prints it as it is.
        super().__init__(message if field is None or message.startswith(field) else f"{field}: {message}", field)


@dataclass(frozen=True)
class Section:
    kind: str
    title: dict[str, str]  # language -> text ("" when not given)
    body: dict[str, str]


def _texts(value: object, where: str, limit: int) -> dict[str, str]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise InfoPageError("must be an object {\"fr\": text, \"en\": text}", where)
    out = {}
    for lang, text in value.items():
        if lang not in LANGS:
            raise InfoPageError(f"unknown language {str(lang)[:8]!r}: fr or en", f"{where}.{str(lang)[:8]}")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InfoPageError("must be text", f"{where}.{lang}")
        if len(text) > limit:
            raise InfoPageError(f"at most {limit} characters", f"{where}.{lang}")
        if any(ord(c) < 32 and c not in "\n\t" for c in text):
            raise InfoPageError("control characters other than new lines and tabs are not allowed", f"{where}.{lang}")
        out[lang] = text.strip()
    return {lang: out.get(lang, "") for lang in LANGS}


def parse_sections(value: object) -> list[Section]:
    """Sections from JSON: [{"kind", "title": {fr, en}, "body": {fr, en}}]."""
    if not isinstance(value, list):
        raise InfoPageError("must be a list of sections", "sections")
    if len(value) > MAX_SECTIONS:
        raise InfoPageError(f"at most {MAX_SECTIONS} sections", "sections")
    out = []
    for i, item in enumerate(value):
        where = f"sections[{i}]"
        if not isinstance(item, dict):
            raise InfoPageError("must be an object {kind, title, body}", where)
        for name in item:
            if name not in ("kind", "title", "body"):
                raise InfoPageError("unknown field; a section has kind, title and body", f"{where}.{str(name)[:32]}")
        kind = item.get("kind")
        if kind not in KINDS:
            raise InfoPageError(f"must be one of {', '.join(KINDS)}, got {str(kind)[:32]!r}", f"{where}.kind")
        title = _texts(item.get("title"), f"{where}.title", MAX_TITLE)
        body = _texts(item.get("body"), f"{where}.body", MAX_BODY)
        if not any(title.values()):
            raise InfoPageError("needs a title in French or English", f"{where}.title")
        if not any(body.values()):
            raise InfoPageError("needs a text in French or English", f"{where}.body")
        out.append(Section(kind, title, body))
    return out


def set_infopages(db: sqlite_utils.Database, client_code: str, sections: list[Section]) -> list[Section]:
    if get_client(db, client_code) is None:
        raise ClientNotFound(f"no client {client_code}", "client")
    db.execute("DELETE FROM infopages WHERE client_code = ?", [client_code])
    at = now_iso()
    for position, s in enumerate(sections):
        db.execute("INSERT INTO infopages (client_code, position, kind, title_fr, title_en, body_fr, body_en, "
                   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [client_code, position, s.kind, s.title["fr"], s.title["en"], s.body["fr"], s.body["en"], at])
    return list_infopages(db, client_code)


def list_infopages(db: sqlite_utils.Database, client_code: str) -> list[Section]:
    return [Section(r["kind"], {"fr": r["title_fr"], "en": r["title_en"]}, {"fr": r["body_fr"], "en": r["body_en"]})
            for r in db.query("SELECT * FROM infopages WHERE client_code = ? ORDER BY position", [client_code])]


def section_json(section: Section) -> dict:
    return {"kind": section.kind, "title": dict(section.title), "body": dict(section.body)}
