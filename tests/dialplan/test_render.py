from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from dialplan import AsteriskSettings, Softphone, render_local, write_config
from dialplan.render import ETC_ASTERISK, LISTENER_READ, RenderError
from ivr import variables as v

SETTINGS = AsteriskSettings(
    sip_host="127.0.0.1", sip_port=5070, rtp_start=20000, rtp_end=20099, ami_host="127.0.0.1",
    ami_port=5039, ami_user="permanence", ami_secret="s3cret-s3cret", agi_host="127.0.0.1", agi_port=4574,
    recordings_dir="/srv/permanence/recordings", prompts_dir="/srv/permanence/prompts",
    softphones=(Softphone("agent1", "phone-secret-1"),),
)
DANGEROUS = {"system", "command", "config", "originate", "all"}


def test_every_include_of_etc_asterisk_is_rendered_or_shipped(tmp_path):
    write_config(SETTINGS, tmp_path)
    for conf in tmp_path.glob("*.conf"):
        for name in re.findall(r'^#include\s+"([^"]+)"', conf.read_text(), re.M):
            assert (tmp_path / name).is_file(), f"{conf.name} includes missing {name}"


def test_ports_and_paths_reach_asterisk():
    out = render_local(SETTINGS)
    assert "bind = 127.0.0.1:5070" in out["pjsip_transport.conf"]
    assert "rtpstart = 20000" in out["rtp_local.conf"] and "rtpend = 20099" in out["rtp_local.conf"]
    assert "port = 5039" in out["manager_local.conf"] and "bindaddr = 127.0.0.1" in out["manager_local.conf"]
    assert "PERMANENCE_AGI = agi://127.0.0.1:4574" in out["extensions_local.conf"]
    assert "PERMANENCE_RECORDINGS = /srv/permanence/recordings" in out["extensions_local.conf"]


def test_the_manager_user_is_least_privilege_and_loopback_only():
    users = render_local(SETTINGS)["manager_users.conf"]
    read = re.search(r"^read = (.*)$", users, re.M).group(1).split(",")
    assert set(read) == set(LISTENER_READ) and not DANGEROUS & set(read)
    write = re.search(r"^write = (.*)$", users, re.M).group(1).split(",")
    assert write == ["reporting"]  # status queries only
    assert "deny = 0.0.0.0/0.0.0.0" in users and "permit = 127.0.0.1/255.255.255.255" in users


def test_secrets_only_in_generated_files_and_never_in_git_tracked_ones(tmp_path):
    write_config(SETTINGS, tmp_path)
    holders = {p.name for p in tmp_path.glob("*.conf") if "s3cret-s3cret" in p.read_text()
               or "phone-secret-1" in p.read_text()}
    assert holders == {"manager_users.conf", "pjsip_local.conf"}
    for shipped in ETC_ASTERISK.glob("*.conf"):
        assert not re.search(r"^\s*(secret|password)\s*=", shipped.read_text(), re.M), shipped
    assert oct((tmp_path / "manager_users.conf").stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("field", ["ami_secret", "ami_user", "sip_host"])
def test_values_that_would_inject_configuration_are_refused(field):
    bad = dataclasses.replace(SETTINGS, **{field: "x\n[evil]\nread = all"})
    with pytest.raises(RenderError):
        render_local(bad)


def _dialplan() -> str:
    return (ETC_ASTERISK / "extensions.conf").read_text()


def test_the_dialplan_reads_every_variable_the_agi_routes_set():
    text = _dialplan()
    for name in set(v.SET_BY_AGI) - set(v.FOR_AGENTS):
        assert "${" + name + "}" in text, f"extensions.conf never reads {name}"


def test_the_dialplan_uses_no_variable_unknown_to_ivr_variables():
    builtins = {"EXTEN", "AGISTATUS", "QUEUESTATUS", "DIALSTATUS", "CALLERID(num)", "CHANNEL(language)", "UNIQUEID"}
    globals_ = {"PERMANENCE_AGI", "PERMANENCE_RECORDINGS", "PERMANENCE_PROMPTS", "PERMANENCE_FALLBACK_QUEUE"}
    used = set(re.findall(r"\$\{([A-Za-z_()]+)\}", _dialplan()))
    assert used - builtins - globals_ - set(v.SET_BY_AGI) - set(v.SET_BY_ORIGINATE) == set()
    assert f"UserEvent({v.CALL_EVENT}," in _dialplan()
    rendered = render_local(SETTINGS)["extensions_local.conf"]
    assert globals_ == set(re.findall(r"^(PERMANENCE_\w+) =", rendered, re.M))


def test_endpoints_enter_only_the_inbound_and_internal_contexts():
    pjsip = (ETC_ASTERISK / "pjsip.conf").read_text()
    assert set(re.findall(r"^context = (\S+)", pjsip, re.M)) == {"permanence-inbound", "permanence-internal"}
    # the call's branches live in a context no endpoint can dial into
    assert "exten => client," not in _dialplan().split("[permanence-call]")[0]


def test_write_config_refuses_a_shipped_file_with_a_generated_name(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "manager_users.conf").write_text("; hand-made\n")
    with pytest.raises(RenderError, match="generated"):
        write_config(SETTINGS, tmp_path / "out", src)
    assert Path(ETC_ASTERISK / "extensions.conf").is_file()


def test_nat_and_carrier_settings_render_and_bad_ones_are_refused():
    out = render_local(dataclasses.replace(
        SETTINGS, external_address="203.0.113.5", local_net="10.0.0.0/8,172.16.0.0/12",
        carrier_match="198.51.100.0/24,198.51.100.7"))
    assert "external_media_address = 203.0.113.5" in out["pjsip_transport.conf"]
    assert "local_net = 172.16.0.0/12" in out["pjsip_transport.conf"]
    assert "match = 198.51.100.0/24\nmatch = 198.51.100.7\n" in out["pjsip_local.conf"]
    for bad in ({"local_net": "10.0.0.0/8\nx=y"}, {"carrier_match": "evil host"}):
        with pytest.raises(RenderError):
            render_local(dataclasses.replace(SETTINGS, **bad))
