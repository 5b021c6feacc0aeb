"""A client's script as data: the ordered questions an agent asks, read from JSON and checked.

A question is {"key", "text": {"fr", "en"}, "type", "required", "choices", "conditions"}. Its key is the
name of the message field its answer fills (reports group messages by these names), so keys are short
identifiers, unique in the script. A condition shows the question only when an earlier question's
answer equals a value or is one of several; a question with several conditions needs them all. Only
earlier questions may be named, so a script can never loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TYPES = ("text", "long_text", "phone", "email", "number", "date", "choice", "yes_no")
LANGS = ("fr", "en")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # a message field's name (store.messages: 64 at most)
MAX_QUESTIONS = 100  # a message keeps 100 fields at most
MAX_TEXT = 500
MAX_CHOICES = 50
MAX_CONDITIONS = 10


class ScriptError(ValueError):
    """A script was refused; `field` names the question and its part, e.g. questions[2].choices."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]  # language -> text ("" when not given)

    def as_json(self) -> dict:
        return {"value": self.value, **self.label}


@dataclass(frozen=True)
class Condition:
    key: str  # an earlier question's
    values: tuple[str | int | float | bool, ...]  # the answer must be one of these
    single: bool = True  # written as "equals" (one value) rather than "in"

    def as_json(self) -> dict:
        return {"key": self.key, "equals": self.values[0]} if self.single else {"key": self.key,
                                                                               "in": list(self.values)}


@dataclass(frozen=True)
class Question:
    key: str
    text: dict[str, str]
    type: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    conditions: tuple[Condition, ...] = field(default=())

    def as_json(self) -> dict:
        out: dict = {"key": self.key, "text": dict(self.text), "type": self.type, "required": self.required}
        if self.type == "choice":
            out["choices"] = [c.as_json() for c in self.choices]
        if self.conditions:
            out["conditions"] = [c.as_json() for c in self.conditions]
        return out

    def label(self, language: str) -> str:
        return self.text.get(language) or self.text["fr"] or self.text["en"]


@dataclass(frozen=True)
class Script:
    questions: tuple[Question, ...]

    def as_json(self) -> dict:
        return {"questions": [q.as_json() for q in self.questions]}

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


def _texts(value: object, where: str, *, need_one: bool = True) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ScriptError(f"{where}: must be an object {{\"fr\": text, \"en\": text}}", where)
    out = {}
    for lang, text in value.items():
        if lang not in LANGS:
            raise ScriptError(f"{where}.{str(lang)[:8]}: unknown language, fr or en", f"{where}.{str(lang)[:8]}")
        if text is None:
            text = ""
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise ScriptError(f"{where}.{lang}: must be text of {MAX_TEXT} characters at most", f"{where}.{lang}")
        out[lang] = text.strip()
    texts = {lang: out.get(lang, "") for lang in LANGS}
    if need_one and not any(texts.values()):
        raise ScriptError(f"{where}: needs a text in French or English", where)
    return texts


def _choices(raw: object, where: str) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_CHOICES:
        raise ScriptError(f"{where}: a choice question needs a list of 1 to {MAX_CHOICES} choices", where)
    out: list[Choice] = []
    for j, item in enumerate(raw):
        at = f"{where}[{j}]"
        if not isinstance(item, dict):
            raise ScriptError(f"{at}: must be an object {{value, fr, en}}", at)
        unknown = set(item) - {"value", "fr", "en"}
        if unknown:
            raise ScriptError(f"{at}: unknown field {sorted(unknown)[0]!r}; a choice has value, fr, en", at)
        value = item.get("value")
        if not isinstance(value, str) or not KEY.match(value):
            raise ScriptError(f"{at}.value: must be an identifier (a-z, 0-9, _), got {str(value)[:40]!r}",
                              f"{at}.value")
        if any(c.value == value for c in out):
            raise ScriptError(f"{at}.value: {value!r} is already a choice", f"{at}.value")
        out.append(Choice(value, _texts({k: v for k, v in item.items() if k != "value"}, at)))
    return tuple(out)


def _condition_value(value: object, target: Question, at: str) -> str | int | float | bool:
    """A value a condition compares with: of the type the earlier question's answer has."""
    if target.type == "yes_no":
        if not isinstance(value, bool):
            raise ScriptError(f"{at}: {target.key} is a yes/no question: true or false, got {value!r}", at)
    elif target.type == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ScriptError(f"{at}: {target.key} is a number question: a number, got {value!r}", at)
    elif target.type == "choice":
        if value not in {c.value for c in target.choices}:
            raise ScriptError(f"{at}: {str(value)[:40]!r} is not one of {target.key}'s choices "
                              f"({', '.join(c.value for c in target.choices)})", at)
    elif not isinstance(value, str) or not value.strip():
        raise ScriptError(f"{at}: {target.key} takes text: a non-empty text, got {value!r}", at)
    return value


def _conditions(raw: object, where: str, earlier: dict[str, Question]) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_CONDITIONS:
        raise ScriptError(f"{where}: must be a list of at most {MAX_CONDITIONS} conditions", where)
    out = []
    for j, item in enumerate(raw):
        at = f"{where}[{j}]"
        if not isinstance(item, dict) or set(item) not in ({"key", "equals"}, {"key", "in"}):
            raise ScriptError(f"{at}: must be {{\"key\", \"equals\": value}} or {{\"key\", \"in\": [values]}}", at)
        key = item["key"]
        target = earlier.get(key) if isinstance(key, str) else None
        if target is None:
            raise ScriptError(f"{at}.key: {str(key)[:64]!r} is not an earlier question; a condition may only "
                              f"name a question asked before", f"{at}.key")
        if "equals" in item:
            out.append(Condition(key, (_condition_value(item["equals"], target, f"{at}.equals"),)))
            continue
        values = item["in"]
        if not isinstance(values, list) or not values or len(values) > MAX_CHOICES:
            raise ScriptError(f"{at}.in: must be a list of 1 to {MAX_CHOICES} values", f"{at}.in")
        out.append(Condition(key, tuple(_condition_value(v, target, f"{at}.in[{k}]") for k, v in enumerate(values)),
                             single=False))
    return tuple(out)


QUESTION_FIELDS = {"key", "text", "type", "required", "choices", "conditions"}


def parse_question(raw: object, index: int, earlier: dict[str, Question]) -> Question:
    where = f"questions[{index}]"
    if not isinstance(raw, dict):
        raise ScriptError(f"{where}: must be an object {{key, text, type, …}}", where)
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise ScriptError(f"{where}.key: must start with a-z and hold only a-z, 0-9, _ (64 at most), "
                          f"got {str(key)[:64]!r}", f"{where}.key")
    where_named = f"{where} ({key})"
    unknown = set(raw) - QUESTION_FIELDS
    if unknown:
        name = sorted(str(n) for n in unknown)[0][:32]
        raise ScriptError(f"{where_named}.{name}: unknown field; a question has {', '.join(sorted(QUESTION_FIELDS))}",
                          f"{where}.{name}")
    if key in earlier:
        raise ScriptError(f"{where_named}.key: {key!r} is already a question's key", f"{where}.key")
    kind = raw.get("type")
    if kind not in TYPES:
        raise ScriptError(f"{where_named}.type: must be one of {', '.join(TYPES)}, got {str(kind)[:32]!r}",
                          f"{where}.type")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise ScriptError(f"{where_named}.required: must be true or false", f"{where}.required")
    try:
        text = _texts(raw.get("text"), f"{where}.text")
        if kind == "choice":
            choices = _choices(raw.get("choices"), f"{where}.choices")
        elif "choices" in raw:
            raise ScriptError(f"{where}.choices: only a choice question has choices", f"{where}.choices")
        else:
            choices = ()
        conditions = _conditions(raw.get("conditions"), f"{where}.conditions", earlier)
    except ScriptError as exc:  # name the question by its key too: "questions[2] (nature).choices: …"
        raise ScriptError(str(exc).replace(where, where_named, 1), exc.field) from None
    return Question(key, text, kind, required, choices, conditions)


def parse_script(raw: object) -> Script:
    """A script from JSON: {"questions": [...]} or the list itself. ScriptError names the bad part."""
    questions = raw.get("questions") if isinstance(raw, dict) else raw
    if isinstance(raw, dict) and set(raw) - {"questions"}:
        raise ScriptError("a script is {\"questions\": [...]}", "questions")
    if not isinstance(questions, list):
        raise ScriptError("questions: must be a list of questions", "questions")
    if len(questions) > MAX_QUESTIONS:
        raise ScriptError(f"questions: {MAX_QUESTIONS} at most, got {len(questions)}", "questions")
    earlier: dict[str, Question] = {}
    for i, item in enumerate(questions):
        question = parse_question(item, i, earlier)
        earlier[question.key] = question
    return Script(tuple(earlier.values()))
