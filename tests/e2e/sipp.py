"""sipp scenarios: the pieces every test phone's scenario is made of (the SDP, answers, in-dialog requests),
and callers that press keys: a UAC scenario with RFC 2833 DTMF played from Debian's pcaps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .dtmf import write_keypresses


def sdp(owner: str) -> str:
    """The SDP of every test phone's offer or answer, sipp filling in the addresses: PCMU and RFC 2833
    events, what the project's endpoints allow."""
    return (f"      v=0\n      o={owner} 53655765 2353687637 IN IP[local_ip_type] [local_ip]\n      s=-\n"
            "      c=IN IP[media_ip_type] [media_ip]\n      t=0 0\n      m=audio [media_port] RTP/AVP 0 101\n"
            "      a=rtpmap:0 PCMU/8000\n      a=rtpmap:101 telephone-event/8000\n      a=fmtp:101 0-15\n")


def scenario(name: str) -> str:
    """The opening of a scenario file, up to its first step."""
    return ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
            f'<scenario name="{name}">\n')


def send(message: str, *, retrans: bool = False) -> str:
    """A <send> of one SIP message (its lines indented as in the rest of the scenario); retrans for
    what UDP may lose and must be sent again until answered (INVITE's 200, BYE, REFER)."""
    return ('  <send retrans="500">\n' if retrans else "  <send>\n") + f"    <![CDATA[\n{message}    ]]>\n  </send>\n"


def contact(user: str) -> str:
    """A test phone's own address, at the port sipp listens on."""
    return f"<sip:{user}@[local_ip]:[local_port]>"


def reply(status: str, *, tag: bool = False, cseq: str = "[last_CSeq:]", contact: str = "", sdp_owner: str = "",
          retrans: bool = False) -> str:
    """The <send> of an answer to the last request received, its headers copied from it: tag puts the
    phone's To tag on (the answers to an INVITE make the dialog), contact and sdp_owner add those
    headers and the SDP body."""
    head = ["SIP/2.0 " + status, "[last_Via:]", "[last_From:]",
            "[last_To:]" + (";tag=[pid]SIPpTag01[call_number]" if tag else ""), "[last_Call-ID:]", cseq]
    if contact:
        head.append("Contact: " + contact)
    head += ["Content-Type: application/sdp", "Content-Length: [len]"] if sdp_owner else ["Content-Length: 0"]
    message = "".join(f"      {line}\n" for line in head)
    return send((message + "\n" + sdp(sdp_owner)) if sdp_owner else message, retrans=retrans)


OK = reply("200 OK")  # to a BYE, CANCEL or NOTIFY: nothing of the phone's own


def request(method: str, user: str, cseq: int, extra: str = "") -> str:
    """The <send> of a request in the dialog a test phone answered (its From is the INVITE's To):
    to the caller's contact and tag, which the INVITE's <recv> keeps as remote_contact and remote_from.
    extra: more header lines, indented."""
    return send(f"      {method} [$remote_contact] SIP/2.0\n"
                "      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
                f"      From: {contact(user)};tag=[pid]SIPpTag01[call_number]\n"
                "      To: [$remote_from]\n      Call-ID: [call_id]\n      Max-Forwards: 70\n"
                f"      Contact: {contact(user)}\n      CSeq: {cseq} {method}\n{extra}      Content-Length: 0\n",
                retrans=True)


_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="caller pressing keys">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{number}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:{number}@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

""" + sdp("user1") + """    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{number}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:{number}@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""

_CALLEE_HANGS_UP = ('  <recv request="BYE" timeout="60000"/>\n'
                    + reply("200 OK", contact="sip:{number}@[local_ip]:[local_port]") + "</scenario>\n")

_TAIL = """  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "{name}" <sip:{number}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:{number}@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""


def keypress_scenario(actions: Sequence[float | str], pcap_dir: Path, *, number: str = "5145551234",
                      name: str = "Test Caller", callee_hangs_up: bool = False) -> str:
    """A scenario: answer, then for each action wait (a number, seconds) or press keys (a string),
    then hang up — or, with callee_hangs_up, wait for the system to hang up (and fail if it does
    not). Each key press is a pcap of its own in pcap_dir (tests/e2e/dtmf.py), ~200 ms."""
    body = []
    presses = 0
    for action in actions:
        if isinstance(action, int | float):
            body.append(f'  <pause milliseconds="{int(action * 1000)}"/>\n')
            continue
        for pcap in write_keypresses(action, pcap_dir, presses):
            body.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
                        '  <pause milliseconds="400"/>\n')
        presses += len(action)
    tail = _CALLEE_HANGS_UP if callee_hangs_up else _TAIL
    return _HEAD.format(name=name, number=number) + "".join(body) + tail.format(name=name, number=number)
