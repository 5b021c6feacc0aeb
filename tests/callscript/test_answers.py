"""Walking a script: conditions, answers read by type, required questions, the pre-fill, the caller's
language and the message's text."""

from __future__ import annotations

import pytest

from callscript import AnswerError, caller_language, parse_script, prefill, read_answer, summary, validate, visible

from .sample import SCRIPT

S = parse_script(SCRIPT)


def keys(questions) -> list[str]:
    return [q.key for q in questions]


def test_conditions_show_questions_from_earlier_answers():
    assert keys(visible(S, {})) == ["name", "callback", "nature", "visit", "notes"]
    assert keys(visible(S, {"nature": "leak"})) == ["name", "callback", "nature", "running", "visit", "notes"]
    assert "rooms" in keys(visible(S, {"nature": "leak", "running": True}))
    assert "rooms" not in keys(visible(S, {"nature": "leak", "running": False}))
    # running answered but its own question hidden (not a leak): rooms stays hidden.
    assert "rooms" not in keys(visible(S, {"nature": "quote", "running": True}))
    assert "email" in keys(visible(S, {"nature": "quote"})) and "email" in keys(visible(S, {"nature": "other"}))
    assert "email" not in keys(visible(S, {"nature": "leak"}))
    # yes/no is a boolean: the number 1 does not stand for true.
    assert "rooms" not in keys(visible(S, {"nature": "leak", "running": 1}))


@pytest.mark.parametrize(("key", "given", "kept"), [
    ("name", "  Jeanne Roy ", "Jeanne Roy"),
    ("callback", "(514) 555-0199", "+15145550199"),
    ("callback", "+33 1 42 68 53 00", "+33142685300"),
    ("email", "Jeanne@Example.COM", "Jeanne@example.com"),
    ("rooms", "3", 3), ("rooms", "2,5", 2.5), ("rooms", 4, 4), ("rooms", 2.0, 2),
    ("visit", "2026-12-24", "2026-12-24"),
    ("nature", "leak", "leak"),
    ("running", "oui", True), ("running", "non", False), ("running", True, True), ("running", "yes", True),
])
def test_answers_are_kept_in_one_form(key, given, kept):
    value = read_answer(S.question(key), given)
    assert value == kept and type(value) is type(kept)


@pytest.mark.parametrize(("key", "given", "words", "kind"), [
    ("callback", "12", "not a possible phone number", "phone"), ("callback", "abc", "not a phone number", "phone"),
    ("email", "jeanne@", "not an email address", "email"), ("rooms", "beaucoup", "not a number", "number"),
    ("rooms", True, "a number", "number"), ("rooms", "1e400", "not a number", "number"),
    ("visit", "24/12/2026", "not a date", "date"), ("visit", "2026-02-30", "not a date", "date"),
    ("nature", "flood", "must be one of leak, quote, other", "choice"), ("running", "peut-être", "yes or no", "yes_no"),
    ("name", "a\nb", "one line", "one_line"), ("name", "x" * 201, "200 characters", "too_long"),
    ("notes", "x" * 1001, "1000 characters", "too_long"), ("name", 3, "must be text", "text"),
])
def test_bad_answers_say_why(key, given, words, kind):
    with pytest.raises(AnswerError, match=words) as caught:
        read_answer(S.question(key), given)
    assert caught.value.kind == kind


def test_validate_names_every_bad_answer_and_the_missing_required_ones():
    values, errors = validate(S, {"name": "", "callback": "12", "nature": "leak", "rooms": "x", "color": "red"})
    assert errors == {"name": "required", "callback": "not a possible phone number: '12'",
                      "running": "required", "color": "no such question in this script"}
    assert values == {"nature": "leak"}  # rooms hidden (running not answered): its bad answer is dropped
    assert {key: why.kind for key, why in errors.items()} == {"name": "required", "callback": "phone",
                                                             "running": "required", "color": "unknown"}


def test_a_refused_answer_shows_no_question_of_its_own():
    # "flood" is no choice: nature counts as not given, so neither running nor email is asked.
    values, errors = validate(S, {"name": "Jeanne", "callback": "5145550199", "nature": "flood", "running": "x"})
    assert errors == {"nature": "must be one of leak, quote, other, got 'flood'"} and errors["nature"].kind == "choice"
    assert values == {"name": "Jeanne", "callback": "+15145550199"}


def test_validate_keeps_the_shown_answers_in_script_order_and_drops_hidden_ones():
    values, errors = validate(S, {"notes": "Sous l'évier", "running": "oui", "rooms": "2", "nature": "leak",
                                  "callback": "514 555 0199", "name": "Jeanne", "email": "j@example.com"})
    assert errors == {}
    assert list(values.items()) == [("name", "Jeanne"), ("callback", "+15145550199"), ("nature", "leak"),
                                    ("running", True), ("rooms", 2), ("notes", "Sous l'évier")]
    # Not a leak: running is not asked, so not required; the email is.
    values, errors = validate(S, {"name": "Jeanne", "callback": "5145550199", "nature": "quote",
                                  "email": "nope"})
    assert errors == {"email": "not an email address: An email address must have an @-sign."}


def test_prefill_from_the_caller_record_and_the_last_message():
    last = {"name": "Jeanne Roy", "callback": "+15145550000", "nature": "flood", "rooms": 3, "company": "Roy inc.",
            "visit": "2026-01-02"}
    filled = prefill(S, caller_number="+15145551111", caller_name="J ROY", last_fields=last)
    # The number calling now fills the phone question; the last message fills the keys that match and
    # still fit (flood is no longer a choice; company is no question).
    assert filled == {"name": "Jeanne Roy", "callback": "+15145551111", "rooms": 3, "visit": "2026-01-02"}
    assert prefill(S, caller_number="5145551111", caller_name="J ROY", last_fields={}) == {
        "name": "J ROY", "callback": "+15145551111"}
    assert prefill(S, caller_number="anonymous", last_fields=None) == {}


def test_the_callers_language_is_their_ivr_choice_else_the_clients():
    path = [{"kind": "language", "outcome": "choice 2 -> en"}, {"kind": "menu", "outcome": "choice 1 -> accueil"}]
    assert caller_language(path, "fr") == "en"
    assert caller_language([{"kind": "language", "outcome": "timeout -> fr"}], "en") == "fr"
    assert caller_language([{"kind": "menu", "outcome": "choice 1 -> en"}], "en") == "en"
    assert caller_language([], "fr") == "fr"


def test_the_message_text_reads_the_questions_in_the_clients_language():
    values, _ = validate(S, {"name": "Jeanne", "callback": "5145550199", "nature": "leak", "running": "non"})
    assert summary(S, values, "fr", 2000) == ("Nom de l'appelant : Jeanne\nNuméro de rappel : +15145550199\n"
                                              "Nature de l'appel : Fuite\nL'eau coule-t-elle encore ? : non")
    assert summary(S, values, "en", 2000).splitlines()[2:] == ["Nature of the call: Leak",
                                                               "Is water still running?: no"]
    assert summary(S, {"notes": "x" * 3000}, "en", 100) == "Notes: " + "x" * 92 + "…"
