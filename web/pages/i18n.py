"""The viewer's language (their choice, else the browser's Accept-Language, else French) and the
translator and number formats that go with it."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from .messages import MESSAGES

LANGUAGES = ("fr", "en")  # the order of MESSAGES' pairs
DEFAULT = "fr"
COOKIE = "permanence_lang"


def _accepted(header: str) -> list[str]:
    """The primary language tags of an Accept-Language header, most wanted first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose(request: web.Request) -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for tag in _accepted(request.headers.get("Accept-Language", "")):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


@dataclass(frozen=True)
class Translator:
    lang: str

    def __call__(self, key: str, **values: object) -> str:
        text = MESSAGES[key][LANGUAGES.index(self.lang)]  # a missing key is a bug: KeyError
        return text.format(**values) if values else text

    def number(self, value: float | None, decimals: int = 0) -> str:
        if value is None:
            return "—"
        text = f"{value:,.{decimals}f}"
        if self.lang == "fr":  # 1 234,5
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, fraction: float | None, decimals: int = 1) -> str:
        if fraction is None:
            return "—"
        value = self.number(fraction * 100, decimals)
        return f"{value}\u202f%" if self.lang == "fr" else f"{value}%"

    def seconds(self, value: float | None) -> str:
        """A duration: 42 s, 3 min 05 s, 1 h 02 min."""
        if value is None:
            return "—"
        total = round(value)
        if total < 60:
            return f"{total} s"
        minutes, secs = divmod(total, 60)
        if minutes < 60:
            return f"{minutes} min {secs:02d} s"
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02d} min"
