"""RFC 2833 (4733) key presses as pcap files for sipp's play_pcap_audio.

Debian's dtmf_2833_*.pcap all carry the same RTP timestamp, and Asterisk takes a second event with
the timestamp of the last one for a retransmission: a caller pressing two keys would be heard once.
Each press written here gets its own timestamp and sequence numbers.
"""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101
SSRC = 0x5E3A11CE
PACKETS = 7  # 140 ms of tone, then the end packet three times, as phones send it


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _frame(rtp: bytes) -> bytes:
    udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp  # checksum 0: none, allowed on IPv4
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + udp


def keypress_pcap(key: str, index: int) -> bytes:
    """One key press; `index` (0, 1, 2 …) makes its RTP timestamp and sequence numbers its own."""
    event = EVENTS[key]
    timestamp = 16000 + index * 8000  # a second apart on the 8 kHz RTP clock
    seq = (1000 + index * 20) & 0xFFFF
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    packets = [(i == 0, False, 160 * (i + 1)) for i in range(PACKETS)]
    packets += [(False, True, 160 * PACKETS)] * 3
    for n, (marker, end, duration) in enumerate(packets):
        rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | PAYLOAD_TYPE, seq + n, timestamp, SSRC)
        rtp += struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
        frame = _frame(rtp)
        micros = n * 20_000
        out.append(struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)) + frame)
    return b"".join(out)


def write_keypresses(keys: str, directory: Path, start: int = 0) -> list[Path]:
    paths = []
    for offset, key in enumerate(keys):
        if key not in EVENTS:
            raise ValueError(f"no DTMF event for key {key!r}")
        path = directory / f"dtmf-{start + offset:03d}.pcap"
        path.write_bytes(keypress_pcap(key, start + offset))
        paths.append(path)
    return paths
