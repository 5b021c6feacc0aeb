"""The phone step on the real Asterisk: the on-call contact's "mobile" is a sipp UAS behind the carrier;
Asterisk calls it through the originate manager user, the dispatch route reads the message (espeak-ng)
and the contact presses 1 (RFC 2833) — delivered; busy — the next step at once."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support import free_port, wait_for

from .agents import answers
from .conftest import ADMIN_PASSWORD, System
from .dtmf import write_keypresses
from .sipp import OK, contact, reply, scenario

pytestmark = pytest.mark.asterisk
MOBILE = "+15145550177"

_INVITE = scenario("the on-call contact's mobile") + '  <recv request="INVITE" crlf="true"/>\n'
_ANSWER_PRESS_1 = (reply("180 Ringing", tag=True, contact=contact("mobile")) + '  <pause milliseconds="500"/>\n'
                   + reply("200 OK", tag=True, contact=contact("mobile"), sdp_owner="mobile", retrans=True)
                   + """  <recv request="ACK" crlf="true"/>
  <pause milliseconds="3000"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <recv request="BYE" timeout="30000"/>
""" + OK + "</scenario>\n")
_BUSY = reply("486 Busy Here", tag=True) + '  <recv request="ACK" crlf="true"/>\n</scenario>\n'


def _mobile(system: System, scenario: str, work: Path) -> subprocess.Popen[str]:
    path = work / "mobile.xml"
    path.write_text(scenario, encoding="utf-8")
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(system.values["outbound_port"]),
         "-mp", str(free_port(socket.SOCK_DGRAM)), "-m", "1", "-nostdin", "-aa", "-timeout", "60s", "-timeout_error",
         "-trace_err", "-error_file", str(work / "mobile-errors.log")],
        cwd=work, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _api(system: System, token: str, method: str, path: str, body: dict | None = None) -> dict:
    status, _, raw = system.request(method, path, token=token, body=body)
    assert status in (200, 201), (method, path, status, raw)
    return json.loads(raw) if raw else {}


@pytest.fixture(scope="module")
def on_call(system: System) -> str:
    """Client 1000's on-call contact (its mobile is the sipp UAS); an admin's token."""
    token = system.login("admin", ADMIN_PASSWORD)
    contact = _api(system, token, "POST", "/api/admin/clients/1000/contacts",
                   {"name": "Marie Gagnon", "mobile": MOBILE, "sms": True, "language": "fr"})
    _api(system, token, "PUT", "/api/admin/clients/1000/oncall/rotation",
         {"period": "weekly", "handover": "08:00", "starts_on": "2020-01-06", "contacts": [contact["id"]]})
    return token


def _message(system: System, token: str, steps: list[dict], text: str) -> dict:
    _api(system, token, "PUT", "/api/dispatch/protocols/1000", {"steps": steps})
    return _api(system, token, "POST", "/api/messages", {"client_code": "1000", "text": text})


def _read(system: System, token: str, message_id: int) -> dict:
    return _api(system, token, "GET", f"/api/messages/{message_id}")


def test_the_contact_answers_presses_1_and_the_message_is_delivered(system: System, on_call: str,
                                                                      tmp_path: Path) -> None:
    [pcap] = write_keypresses("1", tmp_path, 0)
    mobile = _mobile(system, _INVITE + _ANSWER_PRESS_1.replace("{pcap}", str(pcap)), tmp_path)
    try:
        message = _message(system, on_call, [{"channel": "phone", "to": "on_call", "wait_s": 60}],
                           "Monsieur Tremblay, fuite d'eau au 12 rue Principale")
        done = wait_for(lambda: _read(system, on_call, message["id"])["status"] == "delivered"
                        and _read(system, on_call, message["id"]), 45, "the message confirmed by phone")
        out, err = mobile.communicate(timeout=40)
        assert mobile.returncode == 0, (out, err)  # answered, pressed 1, and Asterisk hung up after the thanks
    finally:
        if mobile.poll() is None:
            mobile.kill()
            mobile.communicate()
    assert [(e["step"], e["channel"], e["result"]) for e in done["history"]] == [
        (0, "phone", "sent"), (0, "phone", "confirmed")]
    assert done["history"][0]["recipient"] == MOBILE and done["confirmed_by"] == MOBILE
    # The message was spoken for the call, and its audio removed once the call was over.
    spoken = Path(system.values["recordings"]) / "dispatch" / f"message-{done['history'][0]['id']}.wav"
    assert spoken.parent.is_dir() and not spoken.exists()


def test_an_sms_left_unanswered_then_the_phone_call_confirmed(system: System, on_call: str, tmp_path: Path) -> None:
    """The whole chain on real parts: SMS through Kannel with its code → no reply by the deadline → the
    call to the same mobile, answered, 1 pressed → delivered; each attempt in the history."""
    assert system.kannel is not None
    sent_before = len(system.kannel.sent())
    [pcap] = write_keypresses("1", tmp_path, 0)
    mobile = _mobile(system, _INVITE + _ANSWER_PRESS_1.replace("{pcap}", str(pcap)), tmp_path)
    try:
        message = _message(system, on_call, [{"channel": "sms", "to": "on_call", "wait_s": 4},
                                             {"channel": "phone", "to": "on_call", "wait_s": 60}],
                           "Mme Roy, chauffe-eau en panne, rappeler au 514 555 0111")
        sms = wait_for(lambda: [m for m in system.kannel.sent()[sent_before:] if m.to == MOBILE], 10,
                       "the SMS at the fake SMS centre")
        assert "chauffe-eau en panne" in sms[0].text and re.search(r"répondez [A-Z0-9]{4}$", sms[0].text)
        done = wait_for(lambda: _read(system, on_call, message["id"])["status"] == "delivered"
                        and _read(system, on_call, message["id"]), 50, "no reply, then the call confirmed")
        out, err = mobile.communicate(timeout=40)
        assert mobile.returncode == 0, (out, err)
    finally:
        if mobile.poll() is None:
            mobile.kill()
            mobile.communicate()
    results = [(e["step"], e["channel"], e["result"]) for e in done["history"]]
    # Kannel reported the SMS taken by the SMS centre and (the fake one's receipt) delivered, within
    # moments: neither confirmed it nor cut its step short.
    assert results[0] == (0, "sms", "sent") and done["history"][0]["delivery"] == "delivered"
    assert sorted(results[1:3]) == [(0, "sms", "sms_accepted"), (0, "sms", "sms_delivered")]
    assert results[3:] == [(0, "sms", "no_reply"), (1, "phone", "sent"), (1, "phone", "confirmed")]
    no_reply, call = done["history"][3], done["history"][4]
    assert no_reply["at"] >= done["history"][0]["deadline"] and call["at"] >= no_reply["at"]
    assert done["confirmed_by"] == MOBILE and len([m for m in system.kannel.sent()[sent_before:]
                                                   if m.to == MOBILE]) == 1


def test_a_contact_who_hangs_up_without_1_ends_the_step_at_once(system: System, on_call: str,
                                                                  tmp_path: Path) -> None:
    mobile = _mobile(system, answers("mobile", ring_ms=300, talk_ms=3000), tmp_path)  # answers, hangs up
    try:
        message = _message(system, on_call, [{"channel": "phone", "to": "on_call", "wait_s": 120}],
                           "Rappeler M. Caron")
        done = wait_for(lambda: _read(system, on_call, message["id"])["status"] == "failed"
                        and _read(system, on_call, message["id"]), 30, "the call hung up, then the alert")
        out, err = mobile.communicate(timeout=20)
        assert mobile.returncode == 0, (out, err)
    finally:
        if mobile.poll() is None:
            mobile.kill()
            mobile.communicate()
    assert [(e["channel"], e["result"]) for e in done["history"]] == [
        ("phone", "sent"), ("phone", "not_confirmed"), ("alert", "alerted")]
    assert done["confirmed_by"] is None


def test_a_busy_mobile_is_no_answer_and_the_next_step_starts_at_once(system: System, on_call: str,
                                                                       tmp_path: Path) -> None:
    mobile = _mobile(system, _INVITE + _BUSY, tmp_path)
    try:
        message = _message(system, on_call, [{"channel": "phone", "to": "on_call", "wait_s": 120}],
                           "Rappeler Mme Roy")
        done = wait_for(lambda: _read(system, on_call, message["id"])["status"] == "failed"
                        and _read(system, on_call, message["id"]), 30, "the busy call, then the alert")
        mobile.communicate(timeout=20)
    finally:
        if mobile.poll() is None:
            mobile.kill()
            mobile.communicate()
    assert [(e["channel"], e["result"]) for e in done["history"]] == [("phone", "no_answer"), ("alert", "alerted")]
    assert "not answered" in done["history"][0]["detail"]
