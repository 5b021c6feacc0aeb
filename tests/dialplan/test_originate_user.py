"""The AMI originate user (a supervisor's softphone into ChanSpy: ami/originate.py): rendered only with
a secret, loopback only, no events, the `originate` write class alone — never with `system`, which
would let Originate start System or Exec."""

from __future__ import annotations

import dataclasses
import re

import pytest

from dialplan import render_local
from dialplan.render import ORIGINATE_WRITE, RenderError

from .test_action_user import ACTION, section

ORIGINATE = dataclasses.replace(ACTION, ami_originate_user="permanence-originate", ami_originate_secret="spy-secret-12")


def test_no_originate_user_without_its_secret():
    users = render_local(dataclasses.replace(ORIGINATE, ami_originate_secret=""))["manager_users.conf"]
    assert "permanence-originate" not in users


def test_the_originate_user_may_originate_and_nothing_else():
    users = render_local(ORIGINATE)["manager_users.conf"]
    user = section(users, "permanence-originate")
    assert "secret = spy-secret-12" in user
    assert re.search(r"^read =$", user, re.M)
    assert re.search(r"^write = (.*)$", user, re.M).group(1).split(",") == list(ORIGINATE_WRITE) == ["originate"]
    assert "deny = 0.0.0.0/0.0.0.0" in user and "permit = 127.0.0.1/255.255.255.255" in user
    # The others hold no originate, and do not know its secret.
    for other in ("permanence", "permanence-admin"):
        text = section(users, other)
        assert "originate" not in re.search(r"^write = (.*)$", text, re.M).group(1)
        assert "spy-secret-12" not in text


@pytest.mark.parametrize("change", [{"ami_originate_user": "permanence"},
                                    {"ami_originate_user": "permanence-admin"},
                                    {"ami_originate_secret": "x\n[evil]\nwrite = all"},
                                    {"ami_originate_user": "bad user"}])
def test_a_clash_or_an_injection_is_refused(change):
    with pytest.raises(RenderError):
        render_local(dataclasses.replace(ORIGINATE, **change))
