"""docker/ publishes the configured ports, never AMI's or FastAGI's, and the back end reaches them."""

from __future__ import annotations

import ipaddress
import re
from types import SimpleNamespace

from permanence.config import AgiConfig, AmiConfig, AsteriskConfig, WebConfig
from web import make_app

from .support import (
    ASTERISK_DOCKERFILE,
    BACKEND_DOCKERFILE,
    ROOT,
    Published,
    backend_services,
    dockerfile,
    effective_env,
    exposed,
    parse_port,
    services,
)


def published_ports() -> dict[str, list[Published]]:
    return {name: [parse_port(p) for p in s.get("ports", [])] for name, s in services().items()}


def test_published_ports_are_the_configured_ones() -> None:
    a, w = AsteriskConfig(), WebConfig()
    expected = {
        ((a.sip_port, a.sip_port), "udp"),
        ((a.rtp_start, a.rtp_end), "udp"),
        ((w.port, w.port), "tcp"),
    }
    ports = published_ports()
    assert {name for name, p in ports.items() if p} == {"asterisk"}
    assert {(p.target, p.protocol) for p in ports["asterisk"]} == expected
    for p in ports["asterisk"]:
        assert p.published == p.target, f"{p}: SIP, RTP and web keep their port numbers through NAT"


def test_exposed_ports_are_the_configured_ones() -> None:
    a, w = AsteriskConfig(), WebConfig()
    assert {(p.target, p.protocol) for p in exposed(dockerfile(ASTERISK_DOCKERFILE))} == {
        ((a.sip_port, a.sip_port), "udp"), ((a.rtp_start, a.rtp_end), "udp")}
    assert {(p.target, p.protocol) for p in exposed(dockerfile(BACKEND_DOCKERFILE))} == {((w.port, w.port), "tcp")}


def test_ami_and_fastagi_are_never_published_or_exposed() -> None:
    private = {AmiConfig().port, AgiConfig().port}
    seen: list[Published] = []
    for service in services().values():
        seen += [parse_port(p) for p in service.get("ports", [])]
        seen += [parse_port(p) for p in service.get("expose", [])]
    for path in (ASTERISK_DOCKERFILE, BACKEND_DOCKERFILE):
        seen += exposed(dockerfile(path))
    for p in seen:
        for port in private:
            assert not p.target[0] <= port <= p.target[1], f"{p} exposes {port}"
            assert p.published is None or not p.published[0] <= port <= p.published[1], f"{p} publishes {port}"
    assert all(s.get("network_mode") != "host" for s in services().values())


def test_backend_reaches_ami_and_fastagi_on_loopback() -> None:
    """The back end shares Asterisk's network namespace; AMI and FastAGI keep loopback addresses."""
    s = services()
    assert s["backend"]["network_mode"] == "service:asterisk"
    assert "ports" not in s["backend"]
    for name in backend_services():
        env = effective_env(s[name])
        for var, default in (("PERMANENCE_AMI_HOST", AmiConfig().host), ("PERMANENCE_AGI_HOST", AgiConfig().host)):
            assert ipaddress.ip_address(env.get(var, default)).is_loopback, f"{name}: {var}"


def test_listening_addresses_reach_the_published_ports() -> None:
    for name in backend_services():
        env = effective_env(services()[name])
        assert env["PERMANENCE_WEB_HOST"] == "0.0.0.0"
        assert env["PERMANENCE_ASTERISK_SIP_HOST"] == "0.0.0.0"  # rendered into pjsip_transport.conf
        assert env["PERMANENCE_MODE"] == "production"
        for var in ("PERMANENCE_WEB_PORT", "PERMANENCE_ASTERISK_SIP_PORT", "PERMANENCE_ASTERISK_RTP_START",
                    "PERMANENCE_ASTERISK_RTP_END", "PERMANENCE_AMI_PORT", "PERMANENCE_AGI_PORT"):
            assert var not in env, f"{name}: {var} would differ from the published ports"


def test_backend_healthcheck_asks_the_web_app() -> None:
    test = " ".join(services()["backend"]["healthcheck"]["test"])
    url = re.search(r"http://([\d.]+):(\d+)(/\S*?)'", test)
    assert url, test
    assert int(url.group(2)) == WebConfig().port
    assert ipaddress.ip_address(url.group(1)).is_loopback
    app = make_app(SimpleNamespace(writable=None), ROOT)  # routes only; nothing is served
    assert url.group(3) in {r.canonical for r in app.router.resources()}
