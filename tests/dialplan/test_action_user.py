"""The AMI action user that reloads (dialplan.deploy) and changes queue members (ami.members): rendered
only with a secret, loopback only, no events, `system`, `reporting` and `agent` writes only (never
command, config or originate)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from dialplan import render_local
from dialplan.render import ACTION_WRITE, RenderError

from .test_render import SETTINGS

ACTION = dataclasses.replace(SETTINGS, ami_action_user="permanence-admin", ami_action_secret="reload-secret-1")


def section(text: str, name: str) -> str:
    return re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S).group(1)


def test_no_action_user_without_its_secret():
    assert "permanence-admin" not in render_local(dataclasses.replace(ACTION, ami_action_secret=""))[
        "manager_users.conf"]


def test_the_action_user_may_reload_read_status_and_change_members_nothing_else():
    users = render_local(ACTION)["manager_users.conf"]
    action = section(users, "permanence-admin")
    assert "secret = reload-secret-1" in action
    assert re.search(r"^read =$", action, re.M)  # no event class: it listens to nothing
    write = re.search(r"^write = (.*)$", action, re.M).group(1).split(",")
    assert write == list(ACTION_WRITE) == ["system", "reporting", "agent"]
    assert not {"command", "config", "originate", "all"} & set(write)
    assert "deny = 0.0.0.0/0.0.0.0" in action and "permit = 127.0.0.1/255.255.255.255" in action
    listener = section(users, "permanence")
    assert "write = reporting" in listener and "reload-secret-1" not in listener


@pytest.mark.parametrize("change", [{"ami_action_user": "permanence"},
                                    {"ami_action_secret": "x\n[evil]\nwrite = all"},
                                    {"ami_action_user": "bad user"}])
def test_a_clash_or_an_injection_is_refused(change):
    with pytest.raises(RenderError):
        render_local(dataclasses.replace(ACTION, **change))
