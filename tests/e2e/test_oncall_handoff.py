"""The IVR's on-call exit on the real Asterisk: a sipp caller presses 1 in client 7000's menu, the oncall
route asks who is on call at that moment (a daily rotation of two contacts, and an override that names a
third), and Asterisk dials that contact's mobile through the carrier — a sipp UAS behind it, as the
dispatcher's calls reach it — showing the client's DID. Answered: the two talk, recorded, and the call is
answered by the contact; nobody answers within [phone] ring_s: the caller leaves a message."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store import connect
from store.queues import Queue, get_queue, save_queue
from tests.support import free_port, wait_for

from .agents import answers, busy
from .conftest import ADMIN_PASSWORD, System
from .sipp import contact, keypress_scenario, reply, scenario

pytestmark = pytest.mark.asterisk
CLIENT, DID, DID_E164 = "7000", "5145550700", "+15145550700"
ZONE = ZoneInfo("America/Toronto")
ON_CALL_MOBILE = "+15145550743"  # the override's contact; the rotation's two have other numbers
MENU = """menu: oncall-line-{CLIENT}
client: "{CLIENT}"
languages: [fr]
timezone: America/Toronto
entry: main
nodes:
  main:
    type: menu
    prompt: common:press-1-or-2
    choices: {"1": operator, "2": message}
    timeout: 5
    on_invalid: message
  operator: {type: oncall, target: {CLIENT}-oncall}
  message: {type: voicemail, mailbox: "{CLIENT}"}
"""


def _checks(number: str = ON_CALL_MOBILE, shown: str = DID_E164) -> str:
    """The contact's mobile checks what reached it: its own number, and the client's DID as the caller id."""
    return (f'      <ereg regexp="^INVITE sip:\\{number}@" search_in="msg" check_it="true" assign_to="dialled"/>\n'
            f'      <ereg regexp="{shown[1:]}" search_in="hdr" header="From:" check_it="true" assign_to="shown"/>\n')


_CHECKED = '  <Reference variables="dialled,shown"/>\n'  # sipp refuses variables set and never read


def _answers_checking(number: str = ON_CALL_MOBILE, shown: str = DID_E164) -> str:
    """The contact answers after 1 s, talks 5 s and hangs up, having checked the INVITE."""
    mobile = answers("mobile", ring_ms=1000, talk_ms=5000)
    anchor = 'assign_to="remote_contact"/>\n'
    mobile = mobile.replace(anchor, anchor + _checks(number, shown), 1)
    return mobile.replace("  <send>", _CHECKED + "  <send>", 1)


_RINGS_ONLY = (scenario("a mobile nobody answers") + """  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="cseq"/>
{checks}    </action>
  </recv>
""" + reply("180 Ringing", tag=True, contact=contact("mobile"))
               + '{checked}  <recv request="CANCEL" timeout="60000"/>\n' + reply("200 OK", tag=True)
               + reply("487 Request Terminated", tag=True, cseq="CSeq: [$cseq] INVITE")
               + '  <recv request="ACK" crlf="true"/>\n</scenario>\n')


def _api(system: System, token: str, method: str, path: str, body: dict | None = None) -> dict:
    status, _, raw = system.request(method, path, token=token, body=body)
    assert status in (200, 201), (method, path, status, raw)
    return json.loads(raw) if raw else {}


@pytest.fixture(scope="module")
def on_call(system: System) -> dict:
    """Client 7000 with its menu; Annie and Bruno take turns daily, and an override puts Carole on call
    now: the contact the route must find is not the rotation's. Returns Carole."""
    system.cli("clients", "add", CLIENT, "Serrurerie de garde", "--language", "fr")
    system.cli("dids", "add", DID, CLIENT)
    menu = system.sandbox_dir.parent / "oncall-line.yaml"
    menu.write_text(MENU.replace("{CLIENT}", CLIENT), encoding="utf-8")
    system.cli("ivr", "apply", str(menu))
    admin = system.login("admin", ADMIN_PASSWORD)
    people = [_api(system, admin, "POST", f"/api/admin/clients/{CLIENT}/contacts", {"name": name, "mobile": mobile})
              for name, mobile in (("Annie Premier", "+15145550741"), ("Bruno Second", "+15145550742"),
                                   ("Carole Garde", ON_CALL_MOBILE))]
    first_day = (datetime.now(ZONE) - timedelta(days=3)).date().isoformat()
    _api(system, admin, "PUT", f"/api/admin/clients/{CLIENT}/oncall/rotation",
         {"period": "daily", "handover": "00:00", "starts_on": first_day,
          "contacts": [people[0]["id"], people[1]["id"]]})
    now = datetime.now(ZONE).replace(microsecond=0)
    system.cli("oncall", "override", CLIENT, str(people[2]["id"]), (now - timedelta(hours=1)).isoformat()[:16],
               (now + timedelta(hours=2)).isoformat()[:16], "--reason", "swap")
    assert system.cli("oncall", "who", CLIENT).split("\t")[1] == "Carole Garde"
    return people[2]


def _mobile(system: System, scenario: str, work: Path) -> subprocess.Popen[str]:
    path = work / "mobile.xml"
    path.write_text(scenario, encoding="utf-8")
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(system.values["outbound_port"]),
         "-mp", str(free_port(socket.SOCK_DGRAM)), "-m", "1", "-nostdin", "-aa", "-timeout", "90s", "-timeout_error",
         "-trace_err", "-error_file", str(work / "mobile-errors.log")],
        cwd=work, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _call(system: System, work: Path, mobile_scenario: str | None, actions: list, *, callee_hangs_up: bool,
          client: str = CLIENT, did: str = DID) -> dict:
    """The caller (sipp, keys) against the contact's mobile (sipp UAS); the call as the history has it."""
    admin = system.login("admin", ADMIN_PASSWORD)
    _, _, body = system.request("GET", f"/api/calls?client={client}&limit=500", token=admin)
    before = {c["linkedid"] for c in json.loads(body)["calls"]}
    work.mkdir()
    mobile = _mobile(system, mobile_scenario, work) if mobile_scenario is not None else None
    try:
        scenario = work / "caller.xml"
        scenario.write_text(keypress_scenario(actions, work, number="5145551777", name="Client Pressé",
                                              callee_hangs_up=callee_hangs_up), encoding="utf-8")
        total = sum(a for a in actions if isinstance(a, int | float)) + 60
        caller = system.sipp("-sf", str(scenario), "-s", did, timeout=total)
        assert caller.returncode == 0, f"caller:\n{caller.stdout[-3000:]}\n{caller.stderr[-3000:]}"
        if mobile is not None:
            out, err = mobile.communicate(timeout=30)
            errors = work / "mobile-errors.log"
            assert mobile.returncode == 0, (out[-2000:], err, errors.read_text() if errors.exists() else "")
    finally:
        if mobile is not None and mobile.poll() is None:
            mobile.kill()
            mobile.communicate()

    def fresh() -> dict | None:
        _, _, page = system.request("GET", f"/api/calls?client={client}&limit=500", token=admin)
        new = [c for c in json.loads(page)["calls"] if c["linkedid"] not in before]
        return new[0] if new else None

    listed = wait_for(fresh, 20, "the call in the history")
    _, _, detail = system.request("GET", f"/api/calls/{listed['linkedid']}", token=admin)
    return json.loads(detail)


def _handoff(call: dict) -> list[dict]:
    return [e["detail"] for e in call["timeline"] if e["kind"] == "oncall"]


def _at(call: dict, kind: str, **detail: str) -> datetime:
    [entry] = [e for e in call["timeline"] if e["kind"] == kind and detail.items() <= e["detail"].items()]
    return datetime.fromisoformat(entry["at"])


def test_the_caller_is_put_through_to_the_contact_on_call_now(system: System, on_call: dict, tmp_path: Path) -> None:
    # The caller waits for the system to hang up once the contact has.
    call = _call(system, tmp_path / "answered", _answers_checking(), [1.5, "1"], callee_hangs_up=True)

    assert [s["node"] for s in call["ivr_path"]][-1] == "operator"
    assert _handoff(call) == [
        {"status": "dialling", "contact": str(on_call["id"]), "name": "Carole Garde", "number": ON_CALL_MOBILE},
        {"status": "answered"}]
    assert any(e["kind"] == "dial" and ON_CALL_MOBILE in e["detail"].get("dialstring", "")
               for e in call["timeline"])
    assert call["disposition"] == "answered"  # a person took the call: the on-call contact
    assert call["hangup_side"] == "agent"  # whoever answered hung up first
    assert call["agent"] is None  # no agent of ours
    assert 4.0 <= call["talk_s"] <= 8.0, call["talk_s"]  # from the contact's answer to their hang-up
    [recording] = call["recordings"]  # MixMonitor on the caller's channel went on through the hand-off
    assert recording["duration_s"] >= call["talk_s"] - 0.5
    assert not (Path(system.values["recordings"]) / CLIENT / "messages" / f"{call['linkedid']}.wav").exists()


def test_nobody_answers_within_the_ring_time_and_the_caller_leaves_a_message(system: System, on_call: dict,
                                                                           tmp_path: Path) -> None:
    mobile = _RINGS_ONLY.replace("{checks}", _checks()).replace("{checked}", _CHECKED)
    # "One moment" (3.5 s), the ring time, then vm-intro (7 s) before the beep: hang up well after it.
    call = _call(system, tmp_path / "unanswered", mobile, [1.5, "1", 30.0], callee_hangs_up=False)

    assert _handoff(call) == [
        {"status": "dialling", "contact": str(on_call["id"]), "name": "Carole Garde", "number": ON_CALL_MOBILE},
        {"status": "NOANSWER", "contact": str(on_call["id"]), "number": ON_CALL_MOBILE}]
    rang = _at(call, "oncall", status="NOANSWER") - _at(call, "oncall", status="dialling")
    ring_s = 10  # [phone] ring_s of the test configuration (tests/support.py)
    assert ring_s <= rang.total_seconds() <= ring_s + 6, rang  # + "one moment, please" before the dial
    assert call["disposition"] == "voicemail"
    assert call["talk_s"] is None
    message = Path(system.values["recordings"]) / CLIENT / "messages" / f"{call['linkedid']}.wav"
    assert message.is_file(), "the caller's message was not recorded"


def test_a_queue_that_overflows_to_the_on_call_target_puts_the_caller_through(system: System,
                                                                              tmp_path: Path) -> None:
    """The demo client's reception queue, nobody logged in, overflows to the on-call target (the overflow
    route's `oncall`): the same hand-off, to whoever client 1000 has on call now (an override for the
    test, removed after it, as the queue's settings are put back)."""
    queue, admin = "1000-accueil", system.login("admin", ADMIN_PASSWORD)
    mobile = "+15145550744"
    contact = _api(system, admin, "POST", "/api/admin/clients/1000/contacts",
                   {"name": "Denis Débordement", "mobile": mobile})
    now = datetime.now(ZONE).replace(microsecond=0)
    override = _api(system, admin, "POST", "/api/admin/clients/1000/oncall/overrides", {
        "contact": contact["id"], "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(), "reason": "swap"})
    db = connect(system.values["store"])
    before = get_queue(db, queue)
    try:
        save_queue(db, dataclasses.replace(Queue(queue, "1000"), overflow_action="oncall"))
        call = _call(system, tmp_path / "overflow", _answers_checking(mobile, "+15145550100"),
                     [1.5, "1", 2.0, "1"], callee_hangs_up=True, client="1000", did="5145550100")
    finally:
        if before is None:
            db.execute("DELETE FROM queues WHERE name = ?", [queue])
        else:
            save_queue(db, before)
        db.close()
        status, _, body = system.request("DELETE", f"/api/admin/clients/1000/oncall/overrides/{override['id']}",
                                         token=admin)
        assert status in (200, 204), body
    overflow = [e["detail"] for e in call["timeline"] if e["kind"] == "overflow"]
    assert [(o["queue"], o["action"]) for o in overflow] == [(queue, "oncall")]
    assert _handoff(call) == [
        {"status": "dialling", "contact": str(contact["id"]), "name": "Denis Débordement", "number": mobile},
        {"status": "answered"}]
    assert call["disposition"] == "answered" and call["hangup_side"] == "agent"
    assert 4.0 <= call["talk_s"] <= 8.0, call["talk_s"]


def test_a_busy_mobile_is_a_message(system: System, on_call: dict, tmp_path: Path) -> None:
    call = _call(system, tmp_path / "busy", busy(), [1.5, "1", 20.0], callee_hangs_up=False)
    assert _handoff(call)[1:] == [{"status": "BUSY", "contact": str(on_call["id"]), "number": ON_CALL_MOBILE}]
    assert call["disposition"] == "voicemail"
    assert (Path(system.values["recordings"]) / CLIENT / "messages" / f"{call['linkedid']}.wav").is_file()


def test_nobody_on_call_is_a_message_without_a_dial(system: System, tmp_path: Path) -> None:
    """A client with the same menu and no on-call schedule: nothing rings, the caller leaves a message."""
    client, did = "7001", "5145550701"
    system.cli("clients", "add", client, "Sans garde", "--language", "fr")
    system.cli("dids", "add", did, client)
    menu = system.sandbox_dir.parent / "oncall-line-7001.yaml"
    menu.write_text(MENU.replace("{CLIENT}", client), encoding="utf-8")
    system.cli("ivr", "apply", str(menu))
    call = _call(system, tmp_path / "nobody", None, [1.5, "1", 14.0], callee_hangs_up=False, client=client,
                 did=did)
    assert _handoff(call) == [{"status": "nobody"}]
    assert not [e for e in call["timeline"] if e["kind"] == "dial"]
    assert call["disposition"] == "voicemail"
    assert (Path(system.values["recordings"]) / client / "messages" / f"{call['linkedid']}.wav").is_file()


def test_a_menu_node_naming_another_schedule_puts_the_caller_through_to_its_contact(system: System,
                                                                                    tmp_path: Path) -> None:
    """Client 7002 has two schedules: `default` (Élise on call) and `medical` (Dr Faucher). Its menu's
    oncall node names `medical`: the call rings the doctor's mobile, not Élise's. Applying the menu while
    the client has no such schedule is refused, naming the node and the field."""
    client, did, doctor_mobile = "7002", "5145550702", "+15145550746"
    system.cli("clients", "add", client, "Clinique de garde", "--language", "fr")
    system.cli("dids", "add", did, client)
    admin = system.login("admin", ADMIN_PASSWORD)
    elise, doctor = (_api(system, admin, "POST", f"/api/admin/clients/{client}/contacts", {"name": n, "mobile": m})
                     for n, m in (("Élise Défaut", "+15145550745"), ("Dr Faucher", doctor_mobile)))
    menu = system.sandbox_dir.parent / "oncall-medical.yaml"
    menu.write_text(MENU.replace("{CLIENT}", client).replace(
        f"target: {client}-oncall}}", f"target: {client}-oncall, schedule: medical}}"), encoding="utf-8")
    status, _, body = system.request("POST", "/api/admin/ivr/apply", token=admin, body={
        "menus": [{"source": "oncall-medical.yaml", "yaml": menu.read_text(encoding="utf-8")}]})
    assert status == 400 and "node 'operator', field 'schedule'" in json.loads(body)["error"], body

    _api(system, admin, "POST", f"/api/admin/clients/{client}/oncall/schedules", {"name": "medical",
                                                                                 "label": "Médical"})
    first_day = (datetime.now(ZONE) - timedelta(days=3)).date().isoformat()
    for schedule, person in (("default", elise), ("medical", doctor)):
        _api(system, admin, "PUT", f"/api/admin/clients/{client}/oncall/rotation?schedule={schedule}",
             {"period": "weekly", "handover": "00:00", "starts_on": first_day, "contacts": [person["id"]]})
    system.cli("ivr", "apply", str(menu))
    assert system.cli("oncall", "who", client, "--schedule", "medical").split("\t")[1] == "Dr Faucher"

    call = _call(system, tmp_path / "medical", _answers_checking(doctor_mobile, "+1" + did), [1.5, "1"],
                 callee_hangs_up=True, client=client, did=did)
    assert _handoff(call) == [
        {"status": "dialling", "contact": str(doctor["id"]), "name": "Dr Faucher", "number": doctor_mobile},
        {"status": "answered"}]
    assert call["disposition"] == "answered"
    # The menu names it: the schedule cannot go while it does.
    status, _, body = system.request("DELETE", f"/api/admin/clients/{client}/oncall/schedules/medical", token=admin)
    assert status == 409 and "menu oncall-line-7002" in json.loads(body)["error"]
