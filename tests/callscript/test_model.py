"""A script read from JSON: what it keeps, and each refusal naming the question and the field."""

from __future__ import annotations

import copy

import pytest

from callscript import ScriptError, parse_script

from .sample import SCRIPT


def test_a_script_round_trips_as_json():
    script = parse_script(SCRIPT)
    assert [q.key for q in script.questions] == ["name", "callback", "nature", "running", "rooms", "email", "visit",
                                                 "notes"]
    assert parse_script(script.as_json()) == script
    assert script.as_json()["questions"][3]["conditions"] == [{"key": "nature", "equals": "leak"}]
    assert script.as_json()["questions"][5]["conditions"] == [{"key": "nature", "in": ["quote", "other"]}]
    assert script.question("nature").choices[0].label == {"fr": "Fuite", "en": "Leak"}
    assert parse_script([]).questions == ()


def _broken(index: int, **changes) -> dict:
    script = copy.deepcopy(SCRIPT)
    script["questions"][index].update(changes)
    return script


@pytest.mark.parametrize(("script", "field", "words"), [
    (_broken(2, type="dropdown"), "questions[2].type", "questions[2] (nature).type: must be one of"),
    (_broken(0, key="Nom"), "questions[0].key", "must start with a-z"),
    (_broken(1, key="name"), "questions[1].key", "'name' is already a question's key"),
    (_broken(0, text={"fr": " ", "en": ""}), "questions[0].text", "questions[0] (name).text: needs a text"),
    (_broken(0, text={"de": "Name"}), "questions[0].text.de", "unknown language"),
    (_broken(0, required="yes"), "questions[0].required", "must be true or false"),
    (_broken(0, colour="red"), "questions[0].colour", "unknown field"),
    (_broken(2, choices=[]), "questions[2].choices", "a choice question needs a list"),
    (_broken(2, choices=[{"value": "a", "fr": "A"}, {"value": "a", "en": "A"}]), "questions[2].choices[1].value",
     "already a choice"),
    (_broken(0, choices=[{"value": "a", "fr": "A"}]), "questions[0].choices", "only a choice question"),
    # A condition names an earlier question only: a later one, itself, or none at all is refused.
    (_broken(3, conditions=[{"key": "rooms", "equals": 2}]), "questions[3].conditions[0].key",
     "questions[3] (running).conditions[0].key: 'rooms' is not an earlier question"),
    (_broken(3, conditions=[{"key": "running", "equals": True}]), "questions[3].conditions[0].key",
     "not an earlier question"),
    (_broken(3, conditions=[{"key": "nature", "equals": "flood"}]), "questions[3].conditions[0].equals",
     "'flood' is not one of nature's choices"),
    (_broken(4, conditions=[{"key": "running", "equals": "yes"}]), "questions[4].conditions[0].equals",
     "true or false"),
    (_broken(5, conditions=[{"key": "nature", "in": []}]), "questions[5].conditions[0].in", "1 to"),
    (_broken(5, conditions=[{"key": "nature", "in": ["quote", "x"]}]), "questions[5].conditions[0].in[1]",
     "not one of nature's choices"),
    (_broken(5, conditions=[{"key": "nature"}]), "questions[5].conditions[0]", "must be"),
    ({"questions": "name"}, "questions", "must be a list"),
    ({"questions": [], "title": "x"}, "questions", "a script is"),
])
def test_a_bad_script_is_refused_naming_the_question_and_field(script, field, words):
    with pytest.raises(ScriptError) as caught:
        parse_script(script)
    assert caught.value.field == field
    assert words in str(caught.value)
