from __future__ import annotations

import re

import pytest

from permanence.config import ConfigError, load

GOOD = 'mode = "demo"\n[ami]\nsecret = "0123456789abcdef"\n[web]\nport = 9090\n'


def write(tmp_path, text: str):
    path = tmp_path / "permanence.toml"
    path.write_text(text)
    return path


def test_defaults_file_then_environment(tmp_path):
    path = write(tmp_path, GOOD)
    config = load(path, env={"PERMANENCE_WEB_PORT": "9191", "PERMANENCE_AGI_HOST": "127.0.0.2"})
    assert config.web.port == 9191  # environment beats file
    assert config.agi.host == "127.0.0.2"
    assert config.agi.port == 4573 and config.web.host == "127.0.0.1"  # defaults
    assert config.ami.secret == "0123456789abcdef"  # file
    assert config.phone.default_region == "CA"


def test_production_needs_its_secrets(tmp_path):
    with pytest.raises(ConfigError, match=r"production mode needs a secret for \[ami\] secret"):
        load(write(tmp_path, "[web]\nport = 8080\n"), env={})
    ok = load(write(tmp_path, ""), env={"PERMANENCE_AMI_SECRET": "a" * 16,
                                        "PERMANENCE_ASTERISK_SOFTPHONE_SECRET": "b" * 16})
    assert ok.mode == "production"


@pytest.mark.parametrize(("text", "env", "message"), [
    ("[web]\nport = 70000\n", {}, r"\[web\] port: port 70000 is out of range"),
    ("[web]\nport = \"x\"\n", {}, r"\[web\] port: expected int"),
    ("[web]\nprot = 1\n", {}, r"unknown key 'prot' in \[web\]"),
    ("[wbe]\nport = 1\n", {}, r"unknown section or key 'wbe'"),
    ("[web\n", {}, "not valid TOML"),
    ("", {"PERMANENCE_AGI_PORT": "abc"}, r"environment PERMANENCE_AGI_PORT: expected int"),
    ("[ami]\nhost = \"8.8.8.8\"\n", {}, "public or wildcard"),
    ("[ami]\nhost = \"0.0.0.0\"\n", {}, "public or wildcard"),
    ("[ami]\nsecret = \"short\"\n", {}, "too short"),
    ("[ami]\nsecret = \"aaaaaaaaaaaaaaa;x\"\n", {}, "must not contain"),
    ("[asterisk]\nrtp_start = 20000\nrtp_end = 10000\n", {}, "rtp_end must be above"),
    ("[phone]\ndefault_region = \"CAN\"\n", {}, "two-letter"),
    ("mode = \"test\"\n", {}, "mode must be one of"),
    ("[web]\nlogin_failures_per_account = 0\n", {}, r"\[web\] login_failures_per_account must be at least 1"),
    ("", {"PERMANENCE_WEB_SESSION_IDLE_MINUTES": "0"}, r"\[web\] session_idle_minutes must be at least 1"),
    ("[web]\ntrusted_proxies = \"10.0.0.1, proxy.lan\"\n", {}, "'proxy.lan' is not an address or network"),
])
def test_bad_configuration_says_what_and_where(tmp_path, text, env, message):
    path = write(tmp_path, 'mode = "demo"\n' + text if not text.startswith("mode") else text)
    with pytest.raises(ConfigError, match=message) as info:
        load(path, env=env)
    # where: the file, or the environment variable
    assert str(path) in str(info.value) or (env and next(iter(env)) in str(info.value))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.toml", env={})


def test_the_web_apps_security_settings_come_from_web(tmp_path):
    from datetime import timedelta

    from permanence.serve import web_security

    defaults = web_security(load(write(tmp_path, GOOD), env={}))
    assert (defaults.failures_per_account, defaults.failures_per_address) == (5, 20)
    assert defaults.failure_window == timedelta(minutes=15) and defaults.trusted_proxies == ()
    assert defaults.sessions.idle == timedelta(minutes=30) and defaults.sessions.lifetime == timedelta(hours=12)
    text = GOOD + ("session_idle_minutes = 10\nsession_lifetime_hours = 8\nlogin_failures_per_account = 3\n"
                   "login_failures_per_address = 50\nlogin_window_minutes = 5\n"
                   "trusted_proxies = \"10.0.0.1, 172.16.0.0/12\"\n")
    chosen = web_security(load(write(tmp_path, text), env={}))
    assert chosen.sessions.idle == timedelta(minutes=10) and chosen.sessions.lifetime == timedelta(hours=8)
    assert (chosen.failures_per_account, chosen.failures_per_address) == (3, 50)
    assert chosen.failure_window == timedelta(minutes=5)
    assert chosen.trusted_proxies == ("10.0.0.1", "172.16.0.0/12")


@pytest.mark.parametrize(("key", "value", "named"), [
    ("dial", "PJSIP/carrier", "[callback] dial"), ("dial", "PJSIP/{number},{number}", "[callback] dial"),
    ("ring_s", 1, "[callback] ring_s"), ("max_attempts", 0, "[callback] max_attempts"),
    ("interval_s", 0.0, "[callback] interval_s")])
def test_a_bad_callback_setting_is_refused_naming_it(tmp_path, key, value, named):
    path = tmp_path / "p.toml"
    path.write_text(f"mode = \"demo\"\n[callback]\n{key} = {value!r}\n".replace("'", '"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(named)):
        load(path, env={})
