"""Agents on SIP softphones for end-to-end tests: a real REGISTER with digest authentication, then a
sipp UAS on the registered port that answers, talks, and hangs up, waits, or transfers.

sipp follows one dialog per scenario and a UAS scenario cannot begin by sending, so the REGISTER is
sent here, from the very port sipp then listens on (the contact Asterisk stores is that port).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port, wait_for

from .dtmf import write_keypresses
from .sipp import OK, contact, reply, request, scenario, sdp, send

REALM = "permanence"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def register(asterisk_port: int, agent_id: str, secret: str, local_port: int, expires: int = 600) -> None:
    """REGISTER agent_id's contact at 127.0.0.1:local_port (expires=0 removes it); fails loudly."""
    call_id, tag = secrets.token_hex(8), secrets.token_hex(4)
    uri = f"sip:127.0.0.1:{asterisk_port}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", local_port))
        sock.settimeout(5)
        auth = ""
        for cseq in (1, 2):
            request = (
                f"REGISTER {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{secrets.token_hex(6)};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{agent_id}@127.0.0.1>;tag={tag}\r\n"
                f"To: <sip:{agent_id}@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
                f"Contact: <sip:{agent_id}@127.0.0.1:{local_port}>\r\nExpires: {expires}\r\n{auth}"
                "Content-Length: 0\r\n\r\n")
            sock.sendto(request.encode(), ("127.0.0.1", asterisk_port))
            while True:
                reply = sock.recv(65535).decode(errors="replace")
                if not reply.startswith("SIP/2.0 "):
                    _ok(sock, reply)  # Asterisk's qualify OPTIONS to the new contact
                    continue
                status = int(reply.split(" ", 2)[1])
                if status >= 200 and f"CSeq: {cseq} REGISTER" in reply:
                    break  # skip provisional answers and anything not ours (an early OPTIONS)
            if status == 200:
                if expires:
                    _answer_qualify(sock)
                return
            challenge = re.search(r"WWW-Authenticate:\s*Digest\s+(.*)", reply, re.IGNORECASE)
            if status != 401 or challenge is None or cseq == 2:
                raise AssertionError(f"REGISTER of agent {agent_id} refused:\n{reply}")
            params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.group(1)))
            cnonce, nc = secrets.token_hex(8), "00000001"
            ha1 = _md5(f"{agent_id}:{params['realm']}:{secret}")
            ha2 = _md5(f"REGISTER:{uri}")
            response = _md5(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{ha2}")
            auth = (f'Authorization: Digest username="{agent_id}", realm="{params["realm"]}", '
                    f'nonce="{params["nonce"]}", uri="{uri}", response="{response}", algorithm=MD5, '
                    f'cnonce="{cnonce}", qop=auth, nc={nc}'
                    + (f', opaque="{params["opaque"]}"' if "opaque" in params else "") + "\r\n")


def _answer_qualify(sock: socket.socket) -> None:
    """Asterisk qualifies a new contact at once with an OPTIONS: answer it here, or sipp would take
    it for the one call it waits for (and the next qualify is a minute away, after the test)."""
    sock.settimeout(1.0)
    try:
        while True:
            _ok(sock, sock.recv(65535).decode(errors="replace"))
    except TimeoutError:
        return


def _ok(sock: socket.socket, request: str) -> None:
    if not request.startswith("OPTIONS "):
        return
    head = request.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [h for h in head[1:] if h.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    via = next(h for h in keep if h.lower().startswith("via"))
    sent_by = re.search(r"SIP/2.0/UDP ([^;:]+):(\d+)", via)
    assert sent_by is not None, via
    answer = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
    sock.sendto(answer.encode(), (sent_by.group(1), int(sent_by.group(2))))


_ANSWER = (scenario("agent {id}") + """  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" assign_to="remote_contact"/>
    </action>
  </recv>
""" + reply("180 Ringing", tag=True, contact=contact("{id}")) + '  <pause milliseconds="{ring_ms}"/>\n'
           + reply("200 OK", tag=True, contact=contact("{id}"), sdp_owner="agent", retrans=True)
           + '  <recv request="ACK" crlf="true"/>\n')

# The caller (or Asterisk) hangs up within `talk_ms`, else the agent does.
_TALK_THEN_HANG_UP = ('  <recv request="BYE" timeout="{talk_ms}" ontimeout="agent_hangs_up"/>\n' + OK
                      + '  <nop next="end"/>\n  <label id="agent_hangs_up"/>\n' + request("BYE", "{id}", 101)
                      + '  <recv response="200"/>\n  <label id="end"/>\n</scenario>\n')

# A blind transfer the way softphones do it (RFC 5589): REFER, Asterisk reports progress with
# NOTIFYs, and on the final "200 OK" the transferor hangs its leg up.
_BLIND_TRANSFER = ('  <pause milliseconds="{talk_ms}"/>\n' + request(
    "REFER", "{id}", 101, "      Refer-To: <sip:{target}@[local_ip]>\n      Referred-By: " + contact("{id}") + "\n")
    + """  <recv response="202"/>
  <label id="wait"/>
  <recv request="NOTIFY" optional="true" next="notified">
    <action><ereg regexp="SIP/2.0 200" search_in="msg" check_it="false" assign_to="transferred"/></action>
  </recv>
  <recv request="BYE" next="bye"/>
  <label id="notified"/>
""" + OK + """  <nop next="hang_up" test="transferred"/>
  <nop next="wait"/>
  <label id="hang_up"/>
""" + request("BYE", "{id}", 102) + """  <recv response="200" optional="true" next="end"/>
  <recv response="481" next="end"/>
  <label id="bye"/>
""" + OK + """  <label id="end"/>
</scenario>
""")


@dataclass
class SippAgent:
    """One agent's phone for one call: registered on enter, unregistered on exit."""
    system: object  # tests.e2e.conftest.System (not imported: conftest imports this module's users)
    agent_id: str
    secret: str
    work: Path
    process: subprocess.Popen[str] | None = None
    port: int = 0

    def start(self, scenario: str) -> None:
        self.port = free_port(socket.SOCK_DGRAM)
        sip_port = int(self.system.values["sip_port"])  # type: ignore[attr-defined]
        register(sip_port, self.agent_id, self.secret, self.port)
        path = self.work / f"agent-{self.agent_id}.xml"
        path.write_text(scenario, encoding="utf-8")
        media = free_port(socket.SOCK_DGRAM)
        self.process = subprocess.Popen(
            ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(self.port), "-mp", str(media), "-m", "1",
             "-nostdin", "-aa", "-timeout", "90s", "-timeout_error", "-trace_err", "-trace_msg",
             "-message_file", str(self.work / f"agent-{self.agent_id}-messages.log"),
             "-error_file", str(self.work / f"agent-{self.agent_id}-errors.log")],
            cwd=self.work, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.wait_reachable()

    def wait_reachable(self, timeout: float = 10) -> None:
        """Until no queue has this agent as unavailable: app_queue learns of the new registration through
        a device state change, asynchronously, and its queues turn callers away (joinempty) meanwhile."""
        member = f"(PJSIP/{self.agent_id})"

        def ready() -> bool:
            shown = self.system.sandbox("rx", "queue show").stdout  # type: ignore[attr-defined]
            return not [line for line in shown.splitlines() if member in line and "(Unavailable)" in line]
        wait_for(ready, timeout, f"agent {self.agent_id}'s phone seen by the queues")

    def wait(self, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        assert self.process is not None
        out, err = self.process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)
        if self.port:
            register(int(self.system.values["sip_port"]), self.agent_id, self.secret,  # type: ignore[attr-defined]
                     self.port, expires=0)


def answers(agent_id: str, *, ring_ms: int = 500, talk_ms: int = 4000) -> str:
    """Answer after ring_ms; hang up after talk_ms unless the other side hangs up first."""
    return _fill(_ANSWER + _TALK_THEN_HANG_UP, id=agent_id, ring_ms=ring_ms, talk_ms=talk_ms)


def blind_transfers(agent_id: str, target: str, *, ring_ms: int = 500, talk_ms: int = 2000) -> str:
    """Answer, talk, then transfer the caller blind to `target` with a SIP REFER."""
    return _fill(_ANSWER + _BLIND_TRANSFER, id=agent_id, ring_ms=ring_ms, talk_ms=talk_ms, target=target)


def attended_transfers(agent_id: str, target: str, pcap_dir: Path, *, ring_ms: int = 500, talk_ms: int = 2000,
                       consult_ms: int = 4000) -> str:
    """Answer, talk, press *2 and the target's extension (the phone's attended transfer), talk to
    the target for consult_ms, then hang up: Asterisk joins the caller and the target."""
    presses = "".join(
        f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n  <pause milliseconds="400"/>\n'
        for pcap in write_keypresses("*2" + target, pcap_dir, 100))
    return _fill(_ANSWER + f'  <pause milliseconds="{talk_ms}"/>\n' + presses + _TALK_THEN_HANG_UP,
                 id=agent_id, ring_ms=ring_ms, talk_ms=consult_ms)


_RING_UNTIL_CANCELLED = (scenario("agent {id} does not answer") + '  <recv request="INVITE" crlf="true"/>\n'
                         + reply("180 Ringing", tag=True, contact=contact("{id}")) + '  <recv request="CANCEL"/>\n'
                         + OK + reply("487 Request Terminated", tag=True, cseq="CSeq: [last_cseq_number] INVITE")
                         + '  <recv request="ACK"/>\n</scenario>\n')


_BUSY = (scenario("a busy phone") + '  <recv request="INVITE" crlf="true"/>\n' + reply("486 Busy Here", tag=True)
         + '  <recv request="ACK"/>\n</scenario>\n')


def busy() -> str:
    """A phone already in a call: 486 Busy Here."""
    return _BUSY


def rings_without_answer(agent_id: str) -> str:
    """Ring until Asterisk gives up (CANCEL): an agent logged in who does not pick up."""
    return _fill(_RING_UNTIL_CANCELLED, id=agent_id)


def start_uas(work: Path, port: int, scenario: str, name: str) -> subprocess.Popen[str]:
    """A sipp UAS on a fixed port for one call, not registered anywhere: a caller's own phone, which a
    callback dials through the carrier."""
    path = work / f"{name}.xml"
    path.write_text(scenario, encoding="utf-8")
    media = free_port(socket.SOCK_DGRAM)
    return subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-mp", str(media), "-m", "1", "-nostdin",
         "-timeout", "120s", "-timeout_error", "-trace_err", "-error_file", str(work / f"{name}-errors.log")],
        cwd=work, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _fill(template: str, **values: object) -> str:
    """str.format would trip on sipp's own brackets; only {name} placeholders are ours."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def agent_account(system: object, login: str, agent_id: str, password: str) -> None:
    """The web account of agent `agent_id` (one per agent), made once in the session whichever module
    needs it first; the modules that share it agree on its login and password."""
    conn = system.db()  # type: ignore[attr-defined]
    try:
        taken = conn.execute("SELECT login FROM users WHERE role = 'agent' AND agent_id = ?", [agent_id]).fetchone()
    finally:
        conn.close()
    if taken is not None:
        assert taken[0] == login, f"agent {agent_id}'s account is {taken[0]}, not {login}"
        return
    system.cli("users", "add", login, "--role", "agent", "--agent", agent_id,  # type: ignore[attr-defined]
               "--password-stdin", stdin=password + "\n")


_VIA = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]"  # a new transaction's


def _dialled(method: str, cseq: int, via: str, to_tag: str = "") -> str:
    """The head of a request of the agent's phone to the number it dials (sipp -s)."""
    return (f"      {method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0\n      {via}\n"
            "      From: " + contact("{id}") + ";tag=[pid]SIPpTag00[call_number]\n"
            f"      To: <sip:[service]@[remote_ip]:[remote_port]>{to_tag}\n      Call-ID: [call_id]\n"
            f"      CSeq: {cseq} {method}\n")


def _invite(cseq: int, credentials: str = "") -> str:
    return send(_dialled("INVITE", cseq, _VIA) + "      Contact: " + contact("{id}") + "\n" + credentials
                + "      Max-Forwards: 70\n      Content-Type: application/sdp\n      Content-Length: [len]\n{sdp}\n",
                retrans=True)


def _ack(cseq: int, via: str) -> str:
    return send(_dialled("ACK", cseq, via, "[peer_tag_param]") + "      Max-Forwards: 70\n      Content-Length: 0\n")


# The ACK of the 401 belongs to the first INVITE's transaction (its Via); the 200's starts one.
_FEATURE = (scenario("agent {id} dials a feature code") + _invite(1)
            + '  <recv response="100" optional="true"/>\n  <recv response="401" auth="true"/>\n'
            + _ack(1, "[last_Via:]") + _invite(2, "      [authentication username={id} password={secret}]\n")
            + """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200"/>
""" + _ack(2, _VIA) + '  <recv request="BYE" timeout="20000"/>\n' + OK + "</scenario>\n")
_SDP = "\n" + sdp("agent").rstrip("\n")


def dials_feature_code(agent_id: str, secret: str) -> str:
    """The agent's softphone dials (sipp -s CODE): INVITE, digest challenge, INVITE again with the
    credentials, answered; Asterisk plays the confirmation and hangs up."""
    return _fill(_FEATURE, id=agent_id, secret=secret, sdp=_SDP)
