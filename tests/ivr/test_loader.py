"""ivr.loader: YAML text to Menu, and the problems of files that are not menus."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from ivr.loader import load_file, parse
from ivr.model import (
    CollectNode,
    LanguageNode,
    MenuError,
    MenuNode,
    QueueNode,
    TimeRange,
    TransferNode,
    prompt_refs,
)

from .menus import SOURCE, dump, find, menu, mutated


def nodes(data):
    return data["nodes"]


def error_of(text: str) -> MenuError:
    with pytest.raises(MenuError) as caught:
        parse(text, SOURCE)
    return caught.value


def test_the_base_menu_reads_into_frozen_nodes_with_defaults():
    m = menu()
    assert (m.name, m.client, m.languages, m.timezone, m.entry, m.source) == (
        "demo", "1000", ("fr", "en"), "America/Toronto", "language", SOURCE)
    main = m.nodes["main"]
    assert isinstance(main, MenuNode)
    assert main.choices["1"] == "reception" and main.repeat == "*"
    assert main.invalid_prompt == ("common:invalid",) and main.timeout == 5.0 and main.retries == 3
    account = m.nodes["account"]
    assert isinstance(account, CollectNode) and account.confirm and account.min_digits == 4
    assert account.timeout_prompt == () and account.retries == 3
    assert isinstance(m.nodes["office"], TransferNode)
    assert isinstance(m.nodes["reception"], QueueNode) and m.nodes["reception"].options == {"timeout": "300"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        main.timeout = 9  # type: ignore[misc]
    with pytest.raises(TypeError):
        main.choices["1"] = "bye"  # type: ignore[index]
    with pytest.raises(TypeError):
        m.nodes["x"] = main  # type: ignore[index]


def test_defaults_when_fields_are_left_out():
    def change(d):
        main = nodes(d)["main"]
        for field in ("timeout", "retries", "on_timeout", "repeat", "timeout_prompt"):
            main.pop(field)
        nodes(d)["account"].pop("min_digits")

    m = menu(change)
    main = m.nodes["main"]
    assert (main.timeout, main.retries, main.on_timeout, main.repeat, main.timeout_prompt) == (
        5.0, 3, "operator", None, ())
    assert m.nodes["account"].min_digits == 1
    lang = menu(lambda d: nodes(d)["language"].pop("timeout")).nodes["language"]
    assert isinstance(lang, LanguageNode) and lang.timeout == 5.0


def test_on_timeout_defaults_to_on_invalid():
    m = menu(lambda d: (nodes(d)["main"].pop("on_timeout"), nodes(d)["main"].__setitem__("on_invalid", "bye")))
    assert m.nodes["main"].on_timeout == "bye"


def test_a_prompt_may_be_one_reference_or_a_list():
    m = menu(lambda d: nodes(d)["closed"].__setitem__("prompt", "closed"))
    assert m.nodes["closed"].prompt == ("closed",)
    assert m.nodes["main"].prompt == ("welcome", "menu-main")


def test_unquoted_single_digit_keys_are_read_as_keys():
    text = dump(mutated()).replace("'1': reception", "1: reception")
    assert "      1: reception" in text
    assert menu().nodes["main"].choices == parse(text, SOURCE).nodes["main"].choices


def test_hours_forms():
    hours = {"mon-wed": "08:00-12:00,13:00-17:00", "thu,fri": ["09:00-12:00", "22:00-06:00"], "sat": "24h",
             "sun": "closed"}
    rule = menu(lambda d: nodes(d)["hours"].__setitem__("hours", hours)).nodes["hours"].rule
    assert rule.week[0] == rule.week[2] == (TimeRange(480, 720), TimeRange(780, 1020))
    assert rule.week[3] == rule.week[4] == (TimeRange(540, 720), TimeRange(1320, 360))
    assert rule.week[5] == (TimeRange(0, 1440),)
    assert rule.week[6] == ()
    assert rule.timezone == "America/Toronto"
    assert rule.holidays == frozenset({date(2026, 12, 25)})
    assert rule.closures[0].start == datetime(2026, 12, 24, 12, 0)
    wrapped = menu(lambda d: nodes(d)["hours"].__setitem__("hours", {"fri-mon": "17:00-24:00"})).nodes["hours"].rule
    assert [bool(day) for day in wrapped.week] == [True, False, False, False, True, True, True]
    assert wrapped.week[0] == (TimeRange(1020, 1440),)


def test_unquoted_dates_and_date_only_closures_are_accepted():
    text = dump(mutated()).replace("'2026-12-25'", "2026-12-25").replace("to: 2026-12-27T08:00", "to: 2026-12-27")
    assert "- 2026-12-25\n" in text and "to: 2026-12-27\n" in text
    rule = parse(text, SOURCE).nodes["hours"].rule
    assert rule.holidays == frozenset({date(2026, 12, 25)})
    assert rule.closures[0].end == datetime(2026, 12, 27, 0, 0)


def test_a_closure_with_an_offset_is_refused():
    text = dump(mutated()).replace("to: 2026-12-27T08:00", "to: 2026-12-27T08:00:00Z")
    find(error_of(text), "hours", "closures", "local time, no offset")


def test_unknown_fields_are_refused_with_a_suggestion():
    error = error_of(dump(mutated(lambda d: (nodes(d)["main"].__setitem__("timout", 5), d.__setitem__("lang", "fr")))))
    find(error, "main", "timout", "unknown field for a menu node; did you mean 'timeout'?")
    find(error, None, "lang", "unknown field for a menu file")


def test_a_field_of_another_node_type_is_unknown():
    error = error_of(dump(mutated(lambda d: nodes(d)["closed"].__setitem__("choices", {"1": "main"}))))
    find(error, "closed", "choices", "unknown field for a play node")


def test_missing_fields():
    error = error_of(dump(mutated(lambda d: (nodes(d)["main"].pop("choices"), d.pop("timezone")))))
    find(error, "main", "choices", "missing (needed by a menu node)")
    find(error, None, "timezone", "missing (needed by a menu file)")


@pytest.mark.parametrize(("change", "node", "field", "fragment"), [
    (lambda d: d.__setitem__("client", 1000), None, "client", 'expected text, got a number (quote it: "1000")'),
    (lambda d: d.__setitem__("languages", "fr"), None, "languages", "expected a list of language codes"),
    (lambda d: nodes(d)["main"].__setitem__("timeout", "5"), "main", "timeout", "expected a number of seconds"),
    (lambda d: nodes(d)["main"].__setitem__("retries", True), "main", "retries", "expected a whole number"),
    (lambda d: nodes(d)["main"].__setitem__("retries", 2.5), "main", "retries", "expected a whole number"),
    (lambda d: nodes(d)["main"].__setitem__("prompt", 12), "main", "prompt", "expected a prompt reference"),
    (lambda d: nodes(d)["main"].__setitem__("prompt", ["a", ["b"]]), "main", "prompt", "expected a prompt reference"),
    (lambda d: nodes(d)["main"].__setitem__("choices", ["reception"]), "main", "choices", "expected a mapping"),
    (lambda d: nodes(d)["main"]["choices"].__setitem__(10, "bye"), "main", "choices", "key 10: expected a key"),
    (lambda d: nodes(d)["main"].__setitem__("repeat", None), "main", "repeat", "expected a key"),
    (lambda d: nodes(d)["account"].__setitem__("confirm", "yes"), "account", "confirm", "expected true or false"),
    (lambda d: nodes(d)["voicemail"].__setitem__("mailbox", 1000), "voicemail", "mailbox", "quote it"),
    (lambda d: nodes(d)["office"].__setitem__("number", 15145550123), "office", "number", "quote it"),
    (lambda d: nodes(d)["reception"].__setitem__("options", {"timeout": True}), "reception", "options",
     "option 'timeout'"),
    (lambda d: nodes(d)["hours"].__setitem__("hours", "mon-fri 8-17"), "hours", "hours", "expected a mapping"),
    (lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", 9), "hours", "hours", "sat: expected ranges"),
    (lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", "9h-12h"), "hours", "hours", "bad time '9h'"),
    (lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", "09:00"), "hours", "hours", "bad range '09:00'"),
    (lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", "24:00-12:00"), "hours", "hours", "bad time '24:00'"),
    (lambda d: nodes(d)["hours"].__setitem__("holidays", "2026-12-25"), "hours", "holidays", "expected a list"),
    (lambda d: nodes(d)["hours"].__setitem__("holidays", ["25/12/2026"]), "hours", "holidays", "bad date"),
    (lambda d: nodes(d)["hours"].__setitem__("closures", [{"from": "2026-12-24T12:00"}]), "hours", "closures",
     "closure 1: expected {from:"),
    (lambda d: nodes(d)["hours"].__setitem__("closures", [{"from": "2026-12-24T12:00", "to": "2026-12-24T24:00"}]),
     "hours", "closures", "closure 1: bad date-time"),
    (lambda d: nodes(d)["main"].__setitem__("type", "menus"), "main", "type", "unknown type 'menus'"),
    (lambda d: nodes(d)["main"].pop("type"), "main", "type", "missing (one of play, menu,"),
    (lambda d: nodes(d).__setitem__("main", ["menu"]), "main", None, "expected a mapping with a type, got a list"),
    (lambda d: d.__setitem__("nodes", []), None, "nodes", "expected a mapping of node names to nodes, got a list"),
    (lambda d: d.__setitem__("nodes", {}), None, "nodes", "got an empty mapping"),
    (lambda d: nodes(d).__setitem__(7, {"type": "hangup"}), None, "nodes", "node name 7 is not text"),
], ids=lambda value: "" if callable(value) else None)
def test_wrong_types_are_refused(change, node, field, fragment):
    find(error_of(dump(mutated(change))), node, field, fragment)


@pytest.mark.parametrize(("text", "kind"), [
    ("- menu: demo\n", "a list"), ("just text\n", "str"), ("", "nothing"), ("42\n", "a number"),
])
def test_yaml_that_is_not_a_mapping_is_refused(text, kind):
    error = error_of(text)
    assert (error.source, error.node, error.field) == (SOURCE, None, None)
    fields = "menu:, client:, languages:, timezone:, entry:, nodes:"
    assert str(error) == f"{SOURCE}: expected a mapping ({fields}), got {kind}"


def test_yaml_syntax_errors_give_the_line():
    text = "menu: demo\nclient: '1000'\nnodes:\n  main: {type: play, prompt: [a]\n  other: 1\n"
    error = error_of(text)
    assert error.problems[0].line == 5
    assert str(error).startswith(f"{SOURCE}: YAML syntax error: ")
    assert str(error).endswith("(line 5)")
    assert "line 4" in error.message  # where the unclosed mapping started


def test_a_key_given_twice_is_refused_with_its_line():
    text = dump(mutated()).replace("      '9': voicemail\n", "      '9': voicemail\n      '1': bye\n")
    error = error_of(text)
    assert "found key '1' twice" in error.message
    assert text.splitlines()[error.problems[0].line - 1] == "      '1': bye"


def test_yaml_merge_keys_still_work_and_explicit_fields_win():
    text = dump(mutated()).replace("  closed:\n", "  closed:\n    <<: {next: main, prompt: [welcome]}\n")
    closed = parse(text, SOURCE).nodes["closed"]
    assert (closed.next, closed.prompt) == ("voicemail", ("closed",))


def test_only_safe_yaml_tags():
    text = dump(mutated()).replace("menu: demo", "menu: !!python/object/apply:os.system ['true']")
    assert "YAML" in error_of(text).message


def test_several_problems_in_one_file_are_all_listed_in_line_order():
    def change(d):
        d["client"] = 1000
        nodes(d)["main"]["timout"] = 5
        nodes(d)["main"]["choices"]["12"] = "bye"
        nodes(d)["hours"]["hours"]["sat"] = "09:00-25:00"
        nodes(d)["office"]["number"] = "123"

    error = error_of(dump(mutated(change)))
    assert [(p.node, p.field) for p in error.problems] == [
        (None, "client"), ("hours", "hours"), ("main", "choices"), ("main", "timout"), ("office", "number"),
    ]
    assert str(error).splitlines() == [str(p) for p in error.problems]
    assert (error.node, error.field) == (None, "client")
    assert error.message == 'expected text, got a number (quote it: "1000")'


def test_too_large_a_text_is_refused_before_reading():
    error = error_of("#" * (600 * 1024))
    assert "too large" in error.message


def test_load_file_reads_and_names_the_file(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(dump(mutated()), encoding="utf-8")
    assert load_file(path).source == str(path)
    path.write_text("menu: [", encoding="utf-8")
    with pytest.raises(MenuError) as caught:
        load_file(path)
    assert caught.value.source == str(path)


def test_prompt_refs_lists_each_reference_once_in_file_order():
    assert prompt_refs(menu()) == (
        "common:choose-language", "welcome", "menu-main", "common:invalid", "common:no-input", "closed",
        "enter-account", "common:you-entered", "common:press-1-or-2", "common:goodbye",
    )
