"""The reload's configuration: [asterisk] config_dir turns it on; production then needs the action
user's secret ([ami] action_secret), a user of its own."""

from __future__ import annotations

import pytest

from permanence.config import ConfigError, load

SECRETS = {"PERMANENCE_AMI_SECRET": "a" * 16, "PERMANENCE_ASTERISK_SOFTPHONE_SECRET": "b" * 16}


@pytest.fixture
def empty(tmp_path):
    """An empty configuration file: defaults and the environment only (never a permanence.toml lying here)."""
    path = tmp_path / "permanence.toml"
    path.write_text("")
    return path


def test_the_reload_is_off_by_default_and_needs_no_secret(empty):
    config = load(empty, env=SECRETS)
    assert config.asterisk.config_dir == "" and config.ami.action_secret == ""
    assert config.ami.action_user == "permanence-admin"


def test_production_with_the_reload_on_needs_the_action_secret(empty):
    with pytest.raises(ConfigError, match=r"\[ami\] action_secret .*config_dir turns the reload on"):
        load(empty, env={**SECRETS, "PERMANENCE_ASTERISK_CONFIG_DIR": "/etc/asterisk"})
    ok = load(empty, env={**SECRETS, "PERMANENCE_ASTERISK_CONFIG_DIR": "/etc/asterisk",
                         "PERMANENCE_AMI_ACTION_SECRET": "c" * 16})
    assert ok.asterisk.config_dir == "/etc/asterisk"
    demo = load(empty, env={"PERMANENCE_MODE": "demo", "PERMANENCE_ASTERISK_CONFIG_DIR": "var/asterisk/etc"})
    assert demo.ami.action_secret == ""  # demo: allowed, the reload route then says it is not configured


@pytest.mark.parametrize(("env", "message"), [
    ({"PERMANENCE_AMI_ACTION_SECRET": "short"}, r"\[ami\] action_secret is too short"),
    ({"PERMANENCE_AMI_ACTION_SECRET": "c" * 16 + "\n[x]"}, r"\[ami\] action_secret must not contain"),
    ({"PERMANENCE_AMI_ACTION_SECRET": "c" * 16, "PERMANENCE_AMI_ACTION_USER": "permanence"},
     "must differ from"),
])
def test_a_bad_action_user_is_refused(empty, env, message):
    with pytest.raises(ConfigError, match=message):
        load(empty, env={**SECRETS, **env})


@pytest.mark.parametrize(("env", "message"), [
    ({"PERMANENCE_AMI_ORIGINATE_SECRET": "short"}, r"\[ami\] originate_secret is too short"),
    ({"PERMANENCE_AMI_ORIGINATE_SECRET": "d" * 16 + ";x"}, r"\[ami\] originate_secret must not contain"),
    ({"PERMANENCE_AMI_ORIGINATE_SECRET": "d" * 16, "PERMANENCE_AMI_ORIGINATE_USER": "permanence"},
     "originate_user must differ"),
    ({"PERMANENCE_AMI_ORIGINATE_SECRET": "d" * 16, "PERMANENCE_AMI_ORIGINATE_USER": "permanence-admin"},
     "originate_user must differ"),
])
def test_a_bad_originate_user_is_refused(empty, env, message):
    """The supervisors' originate user is a manager user of its own, with a real secret (off without one)."""
    assert load(empty, env=SECRETS).ami.originate_secret == ""
    with pytest.raises(ConfigError, match=message):
        load(empty, env={**SECRETS, **env})
