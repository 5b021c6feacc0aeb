"""An oncall node naming one of the client's on-call schedules: `schedule` is optional (none: `default`,
as every menu written before reads), checked for its form alone and, when the client's schedules are
known (`ivr check`, `ivr apply`, the admin API), against them; the Exit carries it to the dialplan."""

from __future__ import annotations

import pytest

from ivr import variables as v
from ivr.batch import check_menus
from ivr.engine import Session
from ivr.model import MenuError, OncallNode
from ivr.validate import oncall_schedules, validate

from .menus import OPEN, dump, everything, find, menu, mutated, problems, walk


def nodes(data):
    return data["nodes"]


def _naming(schedule: str):
    return lambda d: nodes(d)["operator"].__setitem__("schedule", schedule)


def test_no_schedule_is_the_default_one_and_a_named_one_is_read():
    assert menu().nodes["operator"] == OncallNode("operator", "1000-oncall")
    assert menu().nodes["operator"].schedule == "default"
    named = menu(_naming("medical"))
    assert named.nodes["operator"].schedule == "medical"
    assert oncall_schedules(named) == {"medical"} and oncall_schedules(menu()) == {"default"}


def test_a_malformed_schedule_name_is_refused_naming_node_and_field():
    find(problems(mutated(_naming("Médical"))), "operator", "schedule", "bad schedule name 'Médical'")
    find(problems(mutated(_naming("x" * 33))), "operator", "schedule", "bad schedule name")


def test_a_schedule_the_client_lacks_is_refused_when_its_schedules_are_known():
    named = menu(_naming("medical"))
    validate(named, prompt_exists=everything, known_menus={"other"})  # not known here: not judged
    validate(named, prompt_exists=everything, known_menus={"other"}, schedules={"default", "medical"})
    with pytest.raises(MenuError) as caught:
        validate(named, prompt_exists=everything, known_menus={"other"}, schedules={"default", "tech"})
    find(caught.value, "operator", "schedule", "client 1000 has no on-call schedule 'medical' (it has: default, tech)")
    with pytest.raises(MenuError):  # a menu naming none needs `default`, which every client has
        validate(menu(), prompt_exists=everything, known_menus={"other"}, schedules=set())


def test_check_menus_asks_each_menus_client_for_its_schedules():
    asked = []

    def schedules_of(client: str):
        asked.append(client)
        return {"default"}

    text = dump(mutated(_naming("medical")))
    with pytest.raises(MenuError) as caught:
        check_menus([("demo.yaml", text)], stored={"other"}, prompts_for=lambda code: everything,
                    schedules_of=schedules_of)
    assert asked == ["1000"]
    assert [(p.source, p.node, p.field) for p in caught.value.problems] == [("demo.yaml", "operator", "schedule")]
    assert check_menus([("demo.yaml", text)], stored={"other"}, prompts_for=lambda code: everything,
                       schedules_of=lambda client: {"default", "medical"})[0].nodes["operator"].schedule == "medical"


def test_the_oncall_exit_carries_its_schedule():
    for name, expected in ((None, "default"), ("medical", "medical")):
        def change(d, name=name):
            nodes(d)["main"].update(retries=1)  # a wrong key leaves for the operator at once
            if name:
                _naming(name)(d)

        exit_step = walk(Session(menu(change), language="fr", now=OPEN), ["1", "0"])[-1]
        assert exit_step.action == "oncall" and exit_step.target == "1000-oncall"
        assert exit_step.variables[v.IVR_ONCALL_SCHEDULE] == expected
        assert v.IVR_ONCALL_SCHEDULE in v.SET_BY_AGI  # the dialplan hands it to the oncall route
