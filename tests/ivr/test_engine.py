"""ivr.engine.Session: the steps of a call through every node type, fed with Digits."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr import variables as v
from ivr.engine import MAX_SILENT_STEPS, Session, SessionError, queue_option_variable
from ivr.model import Menu, MenuError, MenuNode, PlayNode, SubmenuNode, TimeNode, TimeRule
from ivr.steps import Ask, Digits, Exit, PathEntry, Play, SayDigits, SetLanguage

from .menus import CLOSED, OPEN, OTHER, menu, walk

MAIN = ("welcome", "menu-main")
ASK_MAIN = Ask(MAIN, 1, 5.0)
ASK_LANGUAGE = Ask(("common:choose-language",), 1, 4.0)


def nodes(data):
    return data["nodes"]


def session(change=None, *, now=OPEN, language="fr", menus=None) -> Session:
    return Session(menu(change), language=language, now=now, menus=menus)


def exit_vars(action, target, node, menu_name="demo", **extra):
    return {v.IVR_ACTION: action, v.IVR_TARGET: target, v.IVR_MENU: menu_name, v.IVR_NODE: node, **extra}


def outcomes(s: Session) -> list[tuple[str, str | None, str]]:
    return [(e.node, e.digit, e.outcome) for e in s.path]


def test_open_hours_choice_1_reaches_the_queue_with_its_options():
    s = session()
    steps = walk(s, ["2", "1"])
    assert steps == [
        ASK_LANGUAGE,
        SetLanguage("en"),
        ASK_MAIN,
        Exit("queue", "1000-accueil", exit_vars("queue", "1000-accueil", "reception", IVR_QUEUE_TIMEOUT="300")),
    ]
    assert s.path == [
        PathEntry("demo", "language", "language", "2", "choice 2 -> en"),
        PathEntry("demo", "hours", "time", None, "open"),
        PathEntry("demo", "main", "menu", "1", "choice 1 -> reception"),
        PathEntry("demo", "reception", "queue", None, "exit queue 1000-accueil"),
    ]


def test_closed_hours_play_the_announcement_then_voicemail():
    s = session(now=CLOSED)
    steps = walk(s, [""])
    assert steps == [
        ASK_LANGUAGE,
        SetLanguage("fr"),  # the default, on timeout
        Play(("closed",)),
        Exit("voicemail", "1000", exit_vars("voicemail", "1000", "voicemail")),
    ]
    assert outcomes(s) == [
        ("language", None, "timeout -> fr"), ("hours", None, "closed"), ("closed", None, "played -> voicemail"),
        ("voicemail", None, "exit voicemail 1000"),
    ]


def test_the_language_choice_holds_for_the_rest_of_the_call():
    s = session(language="fr")
    assert s.next() == ASK_LANGUAGE and s.language == "fr"
    assert s.next(Digits("2")) == SetLanguage("en")
    assert s.language == "en"
    assert s.next() == ASK_MAIN and s.language == "en"
    s.next(Digits("9"))
    assert s.language == "en"


def test_a_call_in_a_language_the_menu_lacks_is_switched_to_its_first():
    s = session(language="es")
    assert s.next() == SetLanguage("fr")
    assert s.language == "fr"
    assert s.next() == ASK_LANGUAGE


def test_an_invalid_language_key_is_retried_then_the_default_is_taken():
    s = session(lambda d: nodes(d)["language"].update(retries=2, invalid_prompt="common:invalid"), language="en")
    assert s.next() == ASK_LANGUAGE
    assert s.next(Digits("7")) == Ask(("common:invalid", "common:choose-language"), 1, 4.0)
    assert s.next(Digits("8")) == SetLanguage("fr")
    assert outcomes(s) == [("language", "7", "invalid 1/2"), ("language", "8", "invalid 2/2 -> fr")]


def test_invalid_and_timeout_share_the_attempts_and_the_last_decides():
    s = session(lambda d: nodes(d)["main"].update(on_timeout="bye"))
    steps = walk(s, ["1", "7", "", "7"])
    assert steps[2:] == [
        ASK_MAIN,
        Ask(("common:invalid", *MAIN), 1, 5.0),
        Ask(("common:no-input", *MAIN), 1, 5.0),
        Play(("common:invalid",)),
        Exit("oncall", "1000-oncall", exit_vars("oncall", "1000-oncall", "operator", IVR_ONCALL_SCHEDULE="default")),
    ]
    assert outcomes(s)[2:] == [
        ("main", "7", "invalid 1/3"), ("main", None, "timeout 2/3"), ("main", "7", "invalid 3/3 -> operator"),
        ("operator", None, "exit oncall 1000-oncall"),
    ]


def test_timeouts_go_to_on_timeout():
    s = session(lambda d: nodes(d)["main"].update(on_timeout="bye"))
    steps = walk(s, ["1", "", "", ""])
    assert steps[-3:] == [
        Play(("common:no-input",)),
        Play(("common:goodbye",)),  # the hangup node's prompt
        Exit("hangup", "", exit_vars("hangup", "", "bye")),
    ]
    assert outcomes(s)[-2] == ("main", None, "timeout 3/3 -> bye")


def test_without_failure_prompts_the_menu_is_simply_asked_again():
    s = session(lambda d: [nodes(d)["main"].pop(k) for k in ("invalid_prompt", "timeout_prompt")])
    steps = walk(s, ["1", "x", "", "4"])
    assert steps[2:5] == [ASK_MAIN, ASK_MAIN, ASK_MAIN]
    assert steps[-1].action == "transfer"


def test_the_repeat_key_replays_without_using_an_attempt():
    s = session()
    steps = walk(s, ["1", "*", "7", "*", "*", "", "*", "2"])
    assert steps[2:] == [
        ASK_MAIN, ASK_MAIN, Ask(("common:invalid", *MAIN), 1, 5.0), ASK_MAIN, ASK_MAIN,
        Ask(("common:no-input", *MAIN), 1, 5.0), ASK_MAIN, Exit("checkin", "", exit_vars("checkin", "", "checkin")),
    ]
    assert [o for _, _, o in outcomes(s)].count("repeat") == 4


def test_one_attempt_only():
    s = session(lambda d: nodes(d)["main"].update(retries=1))
    assert walk(s, ["1", "0"])[-1].action == "oncall"


def test_collect_with_confirmation_accepted_and_kept_for_every_exit():
    s = session(lambda d: nodes(d)["account"].update(next="main"))
    steps = walk(s, ["1", "3", "123456", "1", "9"])
    assert steps[3:7] == [
        Ask(("enter-account",), 8, 5.0, "#"),
        SayDigits("123456"),
        Ask(("common:you-entered", "common:press-1-or-2"), 1, 5.0),
        ASK_MAIN,
    ]
    assert steps[-1] == Exit("voicemail", "1000", exit_vars("voicemail", "1000", "voicemail", ACCOUNT="123456"))
    assert ("account", None, "collected ACCOUNT (6 digits) -> main") in outcomes(s)
    assert all("123456" not in (e.outcome + (e.digit or "")) for e in s.path)
    assert s.variables == {"ACCOUNT": "123456"}


def test_collect_redo_asks_again_and_keeps_the_last_value():
    s = session()
    steps = walk(s, ["1", "3", "123456", "2", "6543210#", "1"])
    confirm = Ask(("common:you-entered", "common:press-1-or-2"), 1, 5.0)
    assert steps[3:9] == [
        Ask(("enter-account",), 8, 5.0, "#"), SayDigits("123456"), confirm,
        Ask(("enter-account",), 8, 5.0, "#"), SayDigits("6543210"), confirm,
    ]
    assert steps[-1].variables["ACCOUNT"] == "6543210"
    assert ("account", None, "not confirmed 1/3") in outcomes(s)


def test_collect_checks_the_length_and_gives_up_to_on_fail():
    s = session()
    steps = walk(s, ["1", "3", "123", "12*45", ""])
    assert steps[3:] == [
        Ask(("enter-account",), 8, 5.0, "#"),
        Ask(("common:invalid", "enter-account"), 8, 5.0, "#"),  # too short
        Ask(("common:invalid", "enter-account"), 8, 5.0, "#"),  # not digits
        Exit("oncall", "1000-oncall", exit_vars("oncall", "1000-oncall", "operator", IVR_ONCALL_SCHEDULE="default")),
    ]
    assert "ACCOUNT" not in steps[-1].variables
    assert [o for n, _, o in outcomes(s) if n == "account"] == ["invalid 1/3", "invalid 2/3", "timeout 3/3 -> operator"]


def test_collect_without_confirmation_takes_the_value_at_once():
    s = session(lambda d: [nodes(d)["account"].pop(k) for k in ("confirm", "confirm_prompt")])
    steps = walk(s, ["1", "3", "1234"])
    assert steps[-1] == Exit("queue", "1000-accueil",
                             exit_vars("queue", "1000-accueil", "reception", IVR_QUEUE_TIMEOUT="300", ACCOUNT="1234"))


def test_the_other_exits():
    assert walk(session(), ["1", "4"])[-1] == Exit(
        "transfer", "+15145550123", exit_vars("transfer", "+15145550123", "office"))
    written = session(lambda d: nodes(d)["office"].update(number="514 555-0123"))
    assert walk(written, ["1", "4"])[-1].target == "+15145550123"
    assert walk(session(), ["1", "2"])[-1] == Exit("checkin", "", exit_vars("checkin", "", "checkin"))
    quiet = session(lambda d: nodes(d)["bye"].pop("prompt"))
    assert walk(quiet, ["1", "8"])[2:] == [ASK_MAIN, Exit("hangup", "", exit_vars("hangup", "", "bye"))]
    spoken = session(lambda d: nodes(d)["reception"].update(prompt="common:please-hold"))
    assert walk(spoken, ["1", "1"])[-2:-1] == [Play(("common:please-hold",))]


def test_submenu_continues_in_the_other_menu():
    s = session(menus={"other": menu(base=OTHER)})
    steps = walk(s, ["1", "5", "1"])
    assert steps[3:] == [Ask(("other-menu",), 1, 5.0), Exit("voicemail", "1001", exit_vars(
        "voicemail", "1001", "leave", menu_name="other"))]
    assert [(e.menu, e.node, e.outcome) for e in s.path[2:]] == [
        ("demo", "main", "choice 5 -> sub"), ("demo", "sub", "submenu other"),
        ("other", "ask", "choice 1 -> leave"), ("other", "leave", "exit voicemail 1001"),
    ]


def test_a_submenu_that_is_not_there_falls_back():
    s = session(menus={})
    steps = walk(s, ["1", "5"])
    assert steps[-1] == Exit("fallback", "", exit_vars("fallback", "", "sub"))
    assert s.path[-1].outcome == "fallback: no menu 'other'"


def _spinning_menu() -> Menu:
    """Two plays sending the call to each other: validation refuses it, the engine must stop it."""
    return Menu("spin", "1000", ("fr",), "UTC", "a", {
        "a": PlayNode("a", ("one",), "b"), "b": PlayNode("b", ("two",), "a"),
    })


def test_a_loop_without_input_stops_after_the_bound():
    s = Session(_spinning_menu(), language="fr", now=OPEN)
    steps = walk(s, [])
    assert steps[-1] == Exit("fallback", "", exit_vars("fallback", "", "a", menu_name="spin"))
    assert len(steps) == MAX_SILENT_STEPS + 1
    assert s.path[-1].outcome == "fallback: too many steps without input"


def test_menus_entering_each_other_stop_too():
    ping = Menu("ping", "1000", ("fr",), "UTC", "go", {"go": SubmenuNode("go", "pong")})
    pong = Menu("pong", "1000", ("fr",), "UTC", "go", {"go": SubmenuNode("go", "ping")})
    s = Session(ping, language="fr", now=OPEN, menus={"ping": ping, "pong": pong})
    assert s.next().action == "fallback"
    assert len(s.path) == MAX_SILENT_STEPS + 1


def _silent_loop(retries=1) -> Menu:
    node = MenuNode("m", ("menu",), {"1": "m"}, on_invalid="m", on_timeout="m", retries=retries)
    return Menu("loop", "1000", ("fr",), "UTC", "m", {"m": node})


def test_a_silent_caller_in_a_menu_loop_is_let_go_but_a_key_resets_the_bound():
    s = Session(_silent_loop(), language="fr", now=OPEN)
    asks = 0
    step = s.next()
    while isinstance(step, Ask):
        asks += 1
        step = s.next(Digits("1" if asks == 150 else ""))
    assert step.action == "fallback"
    assert asks == 150 + MAX_SILENT_STEPS  # 150 visits, a key, then the bound's worth of silent visits


def test_a_node_missing_at_run_time_falls_back():
    broken = Menu("broken", "1000", ("fr",), "UTC", "a", {"a": PlayNode("a", ("one",), "gone")})
    s = Session(broken, language="fr", now=OPEN)
    assert s.next() == Play(("one",))
    assert s.next() == Exit("fallback", "", exit_vars("fallback", "", "gone", menu_name="broken"))


def test_next_after_exit_raises():
    s = session()
    walk(s, ["1", "9"])
    assert s.finished
    with pytest.raises(SessionError, match="already exited"):
        s.next()
    with pytest.raises(SessionError):
        s.next(Digits("1"))


def test_answers_must_fit_the_step():
    s = session()
    with pytest.raises(SessionError):
        s.next(Digits("1"))  # nothing was asked yet
    assert s.next() == ASK_LANGUAGE
    with pytest.raises(SessionError, match="needs a Digits answer"):
        s.next()
    assert s.next(Digits("1")) == SetLanguage("fr")
    with pytest.raises(SessionError, match="only an Ask step"):
        s.next(Digits("1"))
    assert s.next() == ASK_MAIN


def test_the_clock_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        Session(menu(), language="fr", now=datetime(2026, 6, 3, 10, 0))


def test_queue_options_become_sanitised_variable_names():
    assert queue_option_variable("timeout") == "IVR_QUEUE_TIMEOUT"
    assert queue_option_variable("max-len.x") == "IVR_QUEUE_MAX_LEN_X"


def test_collected_values_cannot_override_the_exit_variables():
    with pytest.raises(MenuError, match="reserved"):
        menu(lambda d: nodes(d)["account"].update(variable="IVR_ACTION"))
    s = Session(menu(lambda d: nodes(d)["account"].update(next="main")), language="fr", now=OPEN)
    s.variables["IVR_ACTION"] = "evil"  # as if a menu had collected it
    assert walk(s, ["1", "9"])[-1].variables[v.IVR_ACTION] == "voicemail"


def test_a_session_that_failed_does_not_go_on():
    bad_zone = Menu("tz", "1000", ("fr",), "Mars/Olympus", "t", {
        "t": TimeNode("t", TimeRule("Mars/Olympus"), "t", "t"),
    })
    s = Session(bad_zone, language="fr", now=OPEN)
    with pytest.raises(KeyError):
        s.next()
    with pytest.raises(SessionError, match="failed earlier"):
        s.next()
