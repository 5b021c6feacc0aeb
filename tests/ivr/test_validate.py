"""ivr.validate (with ivr.checks): one test per kind of problem, each naming file, node and field."""

from __future__ import annotations

import pytest

from ivr.model import Menu, MenuNode, PlayNode, Problem
from ivr.validate import problems as list_problems
from ivr.validate import validate

from .menus import BASE, SOURCE, dump, everything, find, menu, mutated, problems


def test_the_base_menu_is_valid():
    validate(menu(), prompt_exists=everything, known_menus={"other"})


def nodes(data):
    return data["nodes"]


def add_node(name, node):
    return lambda d: nodes(d).__setitem__(name, node)


CASES = [
    # (id, change, node, field, fragment)
    ("dangling choice", lambda d: nodes(d)["main"]["choices"].__setitem__("1", "sales"),
     "main", "choices", "target 'sales' does not exist"),
    ("dangling next", lambda d: nodes(d)["closed"].__setitem__("next", "nowhere"),
     "closed", "next", "target 'nowhere' does not exist"),
    ("dangling open", lambda d: nodes(d)["hours"].__setitem__("open", "mian"), "hours", "open", "'mian'"),
    ("dangling closed", lambda d: nodes(d)["hours"].__setitem__("closed", "shut"), "hours", "closed", "'shut'"),
    ("dangling on_invalid", lambda d: nodes(d)["main"].__setitem__("on_invalid", "op"), "main", "on_invalid", "'op'"),
    ("dangling on_timeout", lambda d: nodes(d)["main"].__setitem__("on_timeout", "op"), "main", "on_timeout", "'op'"),
    ("dangling on_fail", lambda d: nodes(d)["account"].__setitem__("on_fail", "op"), "account", "on_fail", "'op'"),
    ("dangling language next", lambda d: nodes(d)["language"].__setitem__("next", "hour"),
     "language", "next", "'hour'"),
    ("default language not offered", lambda d: nodes(d)["language"].__setitem__("default", "de"),
     "language", "default", "language 'de' is not one of the menu's (fr, en)"),
    ("language choice not offered", lambda d: nodes(d)["language"]["choices"].__setitem__("2", "es"),
     "language", "choices", "language 'es' is not one of the menu's"),
    ("entry missing", lambda d: d.__setitem__("entry", "start"), None, "entry", "node 'start' does not exist"),
    ("unreachable node", add_node("orphan", {"type": "play", "prompt": "closed", "next": "main"}),
     "orphan", None, "unreachable from the entry node 'language'"),
    ("loop of plays", lambda d: (nodes(d)["closed"].__setitem__("next", "again"),
                                 add_node("again", {"type": "play", "prompt": "closed", "next": "closed"})(d)),
     "closed", "next", "loop without input: closed -> again -> closed"),
    ("loop through a time node", lambda d: nodes(d)["closed"].__setitem__("next", "hours"),
     "hours", "closed", "loop without input: hours -> closed -> hours"),
    ("loop through a language node without timeout",
     lambda d: (nodes(d)["language"].__setitem__("timeout", 0), nodes(d)["closed"].__setitem__("next", "language")),
     "hours", "closed", "loop without input: hours -> closed -> language -> hours"),
    ("prompt missing in one language", None, "main", "prompt", "prompt 'welcome' does not exist in en"),
    ("bad prompt reference", lambda d: nodes(d)["closed"].__setitem__("prompt", ["../etc/passwd"]),
     "closed", "prompt", "bad prompt reference '../etc/passwd'"),
    ("bad prompt kind", lambda d: nodes(d)["main"].__setitem__("invalid_prompt", "http:invalid"),
     "main", "invalid_prompt", "bad prompt reference"),
    ("time out of range", lambda d: nodes(d)["hours"]["hours"].__setitem__("mon-fri", "08:30-25:00"),
     "hours", "hours", "bad time '25:00'"),
    ("minutes out of range", lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", "09:60-12:00"),
     "hours", "hours", "bad time '09:60'"),
    ("empty range", lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", "09:00-09:00"),
     "hours", "hours", "sat: 09:00-09:00 is empty"),
    ("overlapping ranges", lambda d: nodes(d)["hours"]["hours"].__setitem__("sat", "09:00-12:00,11:00-13:00"),
     "hours", "hours", "sat: 09:00-12:00 overlaps 11:00-13:00"),
    ("unknown day name", lambda d: nodes(d)["hours"]["hours"].__setitem__("sam", "09:00-12:00"),
     "hours", "hours", "bad days 'sam'"),
    ("day given twice", lambda d: nodes(d)["hours"]["hours"].__setitem__("fri", "09:00-12:00"),
     "hours", "hours", "fri is already given by mon-fri"),
    ("bad time zone", lambda d: d.__setitem__("timezone", "America/Montréal"), None, "timezone", "unknown time zone"),
    ("bad date", lambda d: nodes(d)["hours"].__setitem__("holidays", ["2026-02-30"]),
     "hours", "holidays", "bad date '2026-02-30'"),
    ("bad closure time", lambda d: nodes(d)["hours"]["closures"][0].__setitem__("to", "2026-12-27T8h"),
     "hours", "closures", "closure 1: bad date-time '2026-12-27T8h'"),
    ("closure ending before it starts",
     lambda d: nodes(d)["hours"]["closures"][0].__setitem__("to", "2026-12-24T12:00"),
     "hours", "closures", "closure 1: 'to' (2026-12-24T12:00) is not after 'from' (2026-12-24T12:00)"),
    ("transfer number not valid", lambda d: nodes(d)["office"].__setitem__("number", "+1 555 0123"),
     "office", "number", "is not a valid phone number"),
    ("transfer number not a number", lambda d: nodes(d)["office"].__setitem__("number", "office"),
     "office", "number", "'office' is not a valid phone number"),
    ("submenu not known", lambda d: nodes(d)["sub"].__setitem__("menu", "sales"),
     "sub", "menu", "menu 'sales' is not a known menu"),
    ("submenu itself", lambda d: nodes(d)["sub"].__setitem__("menu", "demo"), "sub", "menu", "cannot enter itself"),
    ("choice key is the repeat key", lambda d: nodes(d)["main"]["choices"].__setitem__("*", "bye"),
     "main", "repeat", "key '*' is both a choice and the repeat key"),
    ("key of two characters", lambda d: nodes(d)["main"]["choices"].__setitem__("12", "bye"),
     "main", "choices", "bad key '12'"),
    ("key not a phone key", lambda d: nodes(d)["main"]["choices"].__setitem__("A", "bye"),
     "main", "choices", "bad key 'A'"),
    ("repeat key not a phone key", lambda d: nodes(d)["main"].__setitem__("repeat", "R"),
     "main", "repeat", "bad key 'R'"),
    ("language key not a phone key", lambda d: nodes(d)["language"]["choices"].__setitem__("x", "en"),
     "language", "choices", "bad key 'x'"),
    ("collect min more than max", lambda d: nodes(d)["account"].__setitem__("min_digits", 9),
     "account", "min_digits", "min_digits 9 is more than max_digits 8"),
    ("collect max out of range", lambda d: nodes(d)["account"].__setitem__("max_digits", 0),
     "account", "max_digits", "max_digits 0 out of range"),
    ("variable name lower case", lambda d: nodes(d)["account"].__setitem__("variable", "account"),
     "account", "variable", "bad variable name 'account'"),
    ("variable name with a dash", lambda d: nodes(d)["account"].__setitem__("variable", "ACC-NO"),
     "account", "variable", "bad variable name 'ACC-NO'"),
    ("variable name reserved", lambda d: nodes(d)["account"].__setitem__("variable", "IVR_TARGET"),
     "account", "variable", "variable name 'IVR_TARGET' is reserved"),
    ("variable name used by the dialplan", lambda d: nodes(d)["account"].__setitem__("variable", "CLIENT_CODE"),
     "account", "variable", "is reserved"),
    ("confirm without confirm_prompt", lambda d: nodes(d)["account"].pop("confirm_prompt"),
     "account", "confirm_prompt", "at least one prompt is needed"),
    ("confirm_prompt without confirm", lambda d: nodes(d)["account"].__setitem__("confirm", False),
     "account", "confirm_prompt", "confirm_prompt without confirm: true"),
    ("menu without prompt", lambda d: nodes(d)["main"].__setitem__("prompt", []),
     "main", "prompt", "at least one prompt is needed"),
    ("menu without choices", lambda d: nodes(d)["main"].__setitem__("choices", {}),
     "main", "choices", "at least one choice is needed"),
    ("timeout zero at a menu", lambda d: nodes(d)["main"].__setitem__("timeout", 0),
     "main", "timeout", "timeout 0 out of range"),
    ("timeout too long", lambda d: nodes(d)["account"].__setitem__("timeout", 61),
     "account", "timeout", "timeout 61 out of range"),
    ("retries zero", lambda d: nodes(d)["main"].__setitem__("retries", 0), "main", "retries", "retries 0 out of range"),
    ("queue name that could inject", lambda d: nodes(d)["reception"].__setitem__("queue", "q,300,,evil"),
     "reception", "queue", "bad queue 'q,300,,evil'"),
    ("queue option name", lambda d: nodes(d)["reception"]["options"].__setitem__("Max Len", "3"),
     "reception", "options", "bad option name 'Max Len'"),
    ("queue option value", lambda d: nodes(d)["reception"]["options"].__setitem__("announce", "a)b"),
     "reception", "options", "option 'announce': bad value 'a)b'"),
    ("mailbox", lambda d: nodes(d)["voicemail"].__setitem__("mailbox", "1000@default,u"),
     "voicemail", "mailbox", "bad mailbox"),
    ("oncall target", lambda d: nodes(d)["operator"].__setitem__("target", "a b"), "operator", "target", "bad target"),
    ("menu name", lambda d: d.__setitem__("menu", "Demo Menu"), None, "menu", "bad menu name 'Demo Menu'"),
    ("client code", lambda d: d.__setitem__("client", "100"), None, "client", "bad client code '100'"),
    ("language code", lambda d: d.__setitem__("languages", ["fr", "English"]), None, "languages",
     "bad language code 'English'"),
    ("language twice", lambda d: d.__setitem__("languages", ["fr", "en", "fr"]), None, "languages",
     "language 'fr' is listed twice"),
    ("no language", lambda d: d.__setitem__("languages", []), None, "languages", "at least one language"),
    ("node name", lambda d: nodes(d).__setitem__("Main Menu", nodes(d)["main"]), "Main Menu", None, "bad node name"),
]


@pytest.mark.parametrize(("change", "node", "field", "fragment"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_each_problem_names_the_file_the_node_and_the_field(change, node, field, fragment):
    if change is None:  # the prompt case: every prompt exists except 'welcome' in English
        error = problems(mutated(), prompt_exists=lambda ref, lang: (ref, lang) != ("welcome", "en"))
    else:
        error = problems(mutated(change))
    find(error, node, field, fragment)


def test_prompts_are_asked_about_in_every_language_sys_ones_included():
    asked = set()

    def exists(ref, lang):
        asked.add((ref, lang))
        return not ref.startswith("sys:")

    error = problems(mutated(lambda d: nodes(d)["bye"].__setitem__("prompt", ["sys:vm-goodbye"])), exists)
    find(error, "bye", "prompt", "prompt 'sys:vm-goodbye' does not exist in fr, en")
    assert {("welcome", "fr"), ("welcome", "en"), ("common:invalid", "en"), ("sys:vm-goodbye", "fr")} <= asked
    assert len(error.problems) == 1


def test_every_problem_is_listed_not_only_the_first():
    def change(d):
        nodes(d)["main"]["choices"]["1"] = "sales"
        nodes(d)["sub"]["menu"] = "nope"
        nodes(d)["hours"]["closed"] = "shut"

    error = problems(mutated(change), prompt_exists=lambda ref, lang: ref != "closed")
    find(error, "main", "choices", "'sales'")
    find(error, "sub", "menu", "'nope'")
    find(error, "hours", "closed", "'shut'")
    find(error, "closed", "prompt", "prompt 'closed' does not exist in fr, en")
    find(error, "closed", None, "unreachable")  # only 'shut' led there
    assert len(str(error).splitlines()) == len(error.problems) == 5
    assert (error.source, error.node, error.field) == (SOURCE, error.problems[0].node, error.problems[0].field)


def test_problems_carry_the_line_of_the_field():
    data = mutated(lambda d: nodes(d)["main"]["choices"].__setitem__("1", "sales"))
    problem = find(problems(data), "main", "choices", "'sales'")
    lines = dump(data).splitlines()
    assert lines[problem.line - 1] == "    choices:"
    assert [line for line in lines[: problem.line] if line.startswith("  ") and not line.startswith("   ")][-1] \
        == "  main:"


def test_a_menu_built_in_code_gets_the_same_rules():
    built = Menu("demo", "1000", ("fr",), "UTC", "main", {
        "main": MenuNode("main", ("welcome",), {"1": "end", "**": "end"}, on_invalid="end", on_timeout="end",
                         repeat="1"),
        "end": PlayNode("end", ("bye",), "main"),
    })
    found = list_problems(built, prompt_exists=everything)
    assert {(p.node, p.field) for p in found} == {("main", "choices"), ("main", "repeat")}
    assert all(p.source == "<menu>" and p.line is None for p in found)
    assert str(found[0]).startswith("<menu>: node 'main', field ")


def test_a_language_node_that_waits_breaks_a_loop():
    validate(menu(lambda d: nodes(d)["closed"].__setitem__("next", "language")), prompt_exists=everything,
             known_menus={"other"})


def test_a_menu_node_that_sends_the_caller_back_to_itself_is_no_loop():
    validate(menu(lambda d: nodes(d)["main"].__setitem__("on_timeout", "main")), prompt_exists=everything,
             known_menus={"other"})


def test_submenus_are_refused_when_no_menu_is_known():
    error = problems(mutated(), known_menus=())
    find(error, "sub", "menu", "menu 'other' is not a known menu")


def test_problem_text_without_node_or_field():
    assert str(Problem("f.yaml", None, None, "bad", 3)) == "f.yaml: bad (line 3)"
    assert str(Problem("f.yaml", "n", None, "bad")) == "f.yaml: node 'n': bad"
    assert BASE["menu"] == "demo"  # the shared base is not mutated by the cases
