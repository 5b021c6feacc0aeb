"""sipp callers that press keys: a UAC scenario with RFC 2833 DTMF played from Debian's pcaps."""

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

_CALLEE_HANGS_UP = """  <recv request="BYE" timeout="60000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: sip:{number}@[local_ip]:[local_port]
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""

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
