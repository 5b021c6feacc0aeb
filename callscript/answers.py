"""Walking a script: which questions show given the answers so far, each answer read by its question's
type, the required ones, what is pre-filled from the caller's record, and the language it is read in.

Answers come from a form or from JSON, so a value may be text for any type ("oui", "3,5"); each is kept
in one form: text stripped, a phone number in E.164, an email address normalised, a number as a
number, a date as YYYY-MM-DD, a choice as its value, yes/no as true/false. An empty answer is no answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from .model import Question, Script

Value = str | int | float | bool
MAX_TEXT = 200  # a line of text
MAX_LONG_TEXT = 1000  # a message field's longest value
YES = ("yes", "true", "oui", "1", "y", "o")
NO = ("no", "false", "non", "0", "n")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NUMBER = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$")
LANGUAGE_CHOICE = re.compile(r"-> (fr|en)$")  # an IVR language node's outcome: "choice 2 -> en"


class AnswerError(ValueError):
    """An answer was refused; the message says why, for the agent, and `kind` what sort of refusal it is
    (a page may say it in the agent's language): one of KINDS."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


KINDS = ("unknown", "required", "text", "too_long", "one_line", "phone", "email", "number", "date", "choice",
         "yes_no")


class Refusal(str):
    """A refused answer's message (a plain string to compare and print) with its kind."""

    kind: str

    def __new__(cls, message: str, kind: str) -> Refusal:
        refusal = super().__new__(cls, message)
        refusal.kind = kind
        return refusal


def _text(value: Value, limit: int) -> str:
    if not isinstance(value, str):
        raise AnswerError("must be text", "text")
    if len(value) > limit:
        raise AnswerError(f"{limit} characters at most", "too_long")
    return value


def read_answer(question: Question, value: Value, region: str = "CA") -> Value:
    """The answer in its kept form, or AnswerError. `value` is not empty."""
    if isinstance(value, str):
        value = value.strip()
    kind = question.type
    if kind in ("text", "long_text"):
        text = _text(value, MAX_TEXT if kind == "text" else MAX_LONG_TEXT)
        if kind == "text" and ("\n" in text or "\r" in text):
            raise AnswerError("one line only", "one_line")
        return text
    if kind == "phone":
        text = _text(value, 32)
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            raise AnswerError(f"not a phone number: {text!r}", "phone") from None
        if not phonenumbers.is_possible_number(number):
            raise AnswerError(f"not a possible phone number: {text!r}", "phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == "email":
        text = _text(value, 254)
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise AnswerError(f"not an email address: {exc}", "email") from None
    if kind == "number":
        return _number(value)
    if kind == "date":
        text = _text(value, 10)
        try:
            if not DATE.match(text):
                raise ValueError
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise AnswerError(f"not a date (YYYY-MM-DD): {text!r}", "date") from None
    if kind == "choice":
        values = [c.value for c in question.choices]
        if value not in values:
            raise AnswerError(f"must be one of {', '.join(values)}, got {str(value)[:40]!r}", "choice")
        return value
    return _yes_no(value)


def _number(value: Value) -> int | float:
    if isinstance(value, bool):
        raise AnswerError("must be a number", "number")
    if isinstance(value, str):
        text = value.replace(" ", "").replace("\u00a0", "")
        if not NUMBER.match(text):
            raise AnswerError(f"not a number: {value[:40]!r}", "number")
        value = float(text.replace(",", "."))  # French writes 3,5
    if not isinstance(value, int | float):
        raise AnswerError("must be a number", "number")
    if not math.isfinite(value) or abs(value) > 1e15:
        raise AnswerError("not a usable number", "number")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _yes_no(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in YES:
        return True
    if isinstance(value, str) and value.lower() in NO:
        return False
    raise AnswerError("must be yes or no", "yes_no")


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def visible(script: Script, answers: Mapping[str, Value]) -> list[Question]:
    """The questions shown given these (kept-form) answers: a question shows when every condition holds
    on a question that itself shows; an earlier question hidden counts as not answered."""
    shown: list[Question] = []
    kept: dict[str, Value] = {}
    for question in script.questions:
        if _holds(question, kept):
            shown.append(question)
            if question.key in answers and not _empty(answers[question.key]):
                kept[question.key] = answers[question.key]
    return shown


def _holds(question: Question, kept: Mapping[str, Value]) -> bool:
    """Every condition of the question holds on the answers kept so far (of questions shown only)."""
    return all(c.key in kept and _matches(kept[c.key], c.values) for c in question.conditions)


def _matches(answer: Value, values: Sequence[Value]) -> bool:
    # True == 1 in Python: a yes/no answer must match a boolean, a number a number.
    return any(type(answer) is type(v) or (isinstance(answer, int | float) and isinstance(v, int | float)
                                           and not isinstance(answer, bool) and not isinstance(v, bool))
               for v in values if v == answer)


def validate(script: Script, raw: Mapping[str, object], region: str = "CA") -> tuple[dict[str, Value],
                                                                                 dict[str, Refusal]]:
    """(the answers kept, in the script's order, for the questions shown; the errors by question key).

    Questions are read in order, so a condition sees the earlier answers as kept (a refused one counts as
    not given); answers to hidden questions are dropped (their condition says they do not apply); a key
    that is no question is an error."""
    errors: dict[str, Refusal] = {}
    for key in raw:
        if script.question(str(key)) is None:
            errors[str(key)[:64]] = Refusal("no such question in this script", "unknown")
    values: dict[str, Value] = {}
    for question in script.questions:
        if not _holds(question, values):
            continue
        value = raw.get(question.key)
        if _empty(value):
            if question.required:
                errors[question.key] = Refusal("required", "required")
            continue
        try:
            if not isinstance(value, str | int | float | bool):
                raise AnswerError("must be text, a number or true/false", "text")
            values[question.key] = read_answer(question, value, region)
        except AnswerError as exc:
            errors[question.key] = Refusal(str(exc), exc.kind)
    return values, errors


def prefill(script: Script, *, caller_number: str | None, caller_name: str | None = None,
            last_fields: Mapping[str, object] | None = None, region: str = "CA") -> dict[str, Value]:
    """What the form starts with: the answers of the caller's last message where the keys match (still
    valid for the question as it is now), the caller's number in the first phone question, and the
    caller record's name in a question keyed `name` the last message did not fill."""
    out: dict[str, Value] = {}
    for question in script.questions:
        value = (last_fields or {}).get(question.key)
        if _empty(value) or not isinstance(value, str | int | float | bool):
            continue
        try:
            out[question.key] = read_answer(question, value, region)
        except AnswerError:
            pass  # the script changed since: that answer no longer fits
    phone = next((q for q in script.questions if q.type == "phone"), None)
    if phone is not None and caller_number:
        try:
            out[phone.key] = read_answer(phone, caller_number, region)  # the number calling now wins
        except AnswerError:
            pass  # an anonymous or odd caller ID: nothing to fill
    named = script.question("name")
    if named is not None and caller_name and "name" not in out and named.type in ("text", "long_text"):
        out["name"] = caller_name.strip()[:MAX_TEXT]
    return {q.key: out[q.key] for q in script.questions if q.key in out}


def caller_language(ivr_path: Sequence[Mapping[str, object]], default: str) -> str:
    """The language the caller chose in the IVR (its last language node), else the client's."""
    for step in reversed(ivr_path):
        if step.get("kind") == "language":
            match = LANGUAGE_CHOICE.search(str(step.get("outcome", "")))
            if match:
                return match.group(1)
    return default if default in ("fr", "en") else "fr"


def summary(script: Script, values: Mapping[str, Value], language: str, limit: int) -> str:
    """The message's plain text: one `question: answer` line per answer, in the script's order."""
    yes_no = {"fr": ("oui", "non"), "en": ("yes", "no")}[language if language in ("fr", "en") else "fr"]
    lines = []
    for question in script.questions:
        if question.key not in values:
            continue
        value = values[question.key]
        if question.type == "yes_no":
            value = yes_no[0] if value else yes_no[1]
        elif question.type == "choice":
            choice = next(c for c in question.choices if c.value == value)
            value = choice.label.get(language) or choice.label["fr"] or choice.label["en"]
        lines.append(f"{question.label(language)} : {value}" if language == "fr" else
                     f"{question.label(language)}: {value}")
    text = "\n".join(lines)
    return text if len(text) <= limit else text[:limit - 1] + "…"  # the fields keep every answer whole
