"""The ami-ingest stream (bench.ami_ingest): the real call streams of tests/ami/fixtures/streams, played
round robin as N distinct calls, `concurrency` of them in progress at once, all ended PAST_S or more
ago; what each call must leave in the store; and the WAVs its recordings point at."""

from __future__ import annotations

import json
import os
import time
import wave
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store.clock import iso, parse_iso

ROOT = Path(__file__).resolve().parent.parent
STREAMS = ROOT / "tests" / "ami" / "fixtures" / "streams"
SCENARIOS = ("answered", "unknown_did", "abandoned_queue", "abandoned_ivr", "voicemail")
ROW_FIELDS = ("linkedid", "client_code", "did", "dialled", "caller_number", "caller_name", "started_at",
              "answered_at", "ended_at", "disposition", "hangup_cause", "recording")
ID_FIELDS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid")
CHANNEL_FIELDS = ("Channel", "DestChannel")
PAST_S = 600.0  # the stream's calls all ended at least this long ago
WAV_S = 0.5


def _us(stamp: str) -> int:
    """An AMI Timestamp ('1795456594.915249') in integer microseconds, exactly."""
    sec, _, frac = stamp.partition(".")
    return int(sec) * 1_000_000 + int((frac + "000000")[:6])


def _stamp(us: int) -> str:
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def _shift_iso(text: str | None, shift_us: int) -> str | None:
    return None if text is None else iso(parse_iso(text) + timedelta(microseconds=shift_us))


@dataclass(frozen=True)
class Template:
    """One fixture call: its events as format strings with the per-call fields left open."""

    name: str
    formats: tuple[str, ...]  # str.format() with ts, lid, u<i>, c<i>, rec
    stamps: tuple[int, ...]  # each event's Timestamp, µs
    linkedid_events: tuple[bool, ...]  # which events carry the call's linkedid
    finisher: int  # the Hangup that ends the call (its last channel gone)
    uniqueids: tuple[str, ...]  # the call's own ids, the linkedid first
    channels: tuple[str, ...]
    recording: str | None  # the PermanenceCall Recording (client/Y/M/D/linkedid), if any
    expected: dict

    @property
    def start(self) -> int:
        return self.stamps[0]

    @property
    def length(self) -> int:
        return self.stamps[-1] - self.stamps[0]


def _finisher(events: list[dict[str, str]], linkedid: str) -> int:
    """The index of the event that ends the call for ami.calls.CallTracker: the Hangup of its last channel."""
    channels: set[str] = set()
    for i, event in enumerate(events):
        if event.get("Linkedid") != linkedid:
            continue
        if event.get("Event") == "Newchannel":
            channels.add(event.get("Uniqueid", ""))
        elif event.get("Event") == "Hangup":
            channels.discard(event.get("Uniqueid", ""))
            if not channels:
                return i
    raise ValueError(f"call {linkedid}: no Hangup ends it")


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def load_template(name: str) -> Template:
    lines = (STREAMS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines if line.strip()]
    expected = json.loads((STREAMS / f"{name}.expected.json").read_text(encoding="utf-8"))
    linkedid = expected["linkedid"]
    uniqueids = [linkedid, *sorted({e[k] for e in events for k in ID_FIELDS if e.get(k)} - {linkedid})]
    channels = sorted({e[k] for e in events for k in CHANNEL_FIELDS if e.get(k)})
    recording = None
    formats = []
    for event in events:
        parts = []
        for key, value in event.items():
            if key == "content" and value == "":
                continue  # panoramisk's Message body, not a field Asterisk sent
            if key == "Timestamp":
                slot = "{ts}"
            elif key in ID_FIELDS and value in uniqueids:
                slot = f"{{u{uniqueids.index(value)}}}"
            elif key in CHANNEL_FIELDS and value in channels:
                slot = f"{{c{channels.index(value)}}}"
            elif key == "Recording" and value:
                recording, slot = value, "{rec}"
            else:
                slot = _escape(value)
            parts.append(f"{_escape(key)}: {slot}\r\n")
        formats.append("".join(parts) + "\r\n")
    return Template(name, tuple(formats), tuple(_us(e["Timestamp"]) for e in events),
                    tuple(e.get("Linkedid") == linkedid for e in events), _finisher(events, linkedid),
                    tuple(uniqueids), tuple(channels), recording, expected)


def load_templates() -> list[Template]:
    return [load_template(name) for name in SCENARIOS]


@dataclass
class Stream:
    """A synthetic stream, encoded, and what it must leave in the store."""

    data: bytes
    ends: array  # 'Q': byte offset after each event
    finishers: array  # 'Q': index of each call's finishing Hangup, ascending
    finisher_ids: list[str]  # the linkedid each finisher ends, same order
    expected: dict[str, dict]  # linkedid → expected row (ROW_FIELDS)
    max_concurrent: int  # calls in progress at once, at most (in stream order)
    mean_concurrent: float  # calls in progress when an event is sent, on average

    @property
    def events(self) -> int:
        return len(self.ends)

    @property
    def calls(self) -> int:
        return len(self.expected)

    def recordings(self) -> list[str]:
        return [row["recording"] for row in self.expected.values() if row["recording"]]

    def write(self, directory: Path, name: str) -> StreamFiles:
        files = StreamFiles(directory / f"{name}.ami", directory / f"{name}.ends", directory / f"{name}.fin")
        files.stream.write_bytes(self.data)
        files.ends.write_bytes(self.ends.tobytes())
        files.finishers.write_bytes(self.finishers.tobytes())
        return files


@dataclass(frozen=True)
class StreamFiles:
    stream: Path
    ends: Path
    finishers: Path


def build(templates: list[Template], calls: int, concurrency: int, *, first: int = 0,
          now: float | None = None) -> Stream:
    """`calls` distinct calls (numbered from `first`, so that streams built apart never share a
    linkedid), about `concurrency` of them in progress at once, all ended PAST_S or more ago."""
    mean_length = sum(t.length for t in templates) / len(templates)
    spacing = max(1000, round(mean_length / max(1, concurrency) / 1000) * 1000)  # µs, whole ms
    longest = max(t.length for t in templates)
    now_us = int((time.time() if now is None else now) * 1_000_000)
    base = (now_us - int(PAST_S * 1_000_000) - (calls - 1) * spacing - longest) // 1000 * 1000
    timed: list[tuple[int, int, int, str, str | None]] = []  # (µs, call, event, text, linkedid if finisher)
    expected: dict[str, dict] = {}
    for n in range(calls):
        k = first + n
        t = templates[n % len(templates)]
        shift = (base + n * spacing - t.start) // 1000 * 1000  # whole ms: the expected times shift exactly
        start_us = t.start + shift
        linkedid = f"{start_us // 1_000_000}.{k}"
        slots = {f"u{i}": linkedid if i == 0 else f"{start_us // 1_000_000}.{k}-{i}"
                 for i in range(len(t.uniqueids))}
        for i, name in enumerate(t.channels):
            slots[f"c{i}"] = f"{name.rpartition('-')[0]}-{k:08x}{i:02x}" if "-" in name else f"{name}-{k}"
        recording = None
        if t.recording:
            client = t.recording.partition("/")[0]
            started = datetime.fromtimestamp(start_us / 1_000_000, UTC)
            recording = slots["rec"] = f"{client}/{started:%Y/%m/%d}/{linkedid}"
        for i, (fmt, stamp) in enumerate(zip(t.formats, t.stamps, strict=True)):
            text = fmt.format(ts=_stamp(stamp + shift), **slots)
            timed.append((stamp + shift, n, i, text, linkedid if i == t.finisher else None))
        row = {key: t.expected[key] for key in ROW_FIELDS if key != "recording"}
        row["linkedid"] = linkedid
        for key in ("started_at", "answered_at", "ended_at"):
            row[key] = _shift_iso(row[key], shift)
        row["recording"] = f"{recording}.wav" if recording and row["client_code"] else None
        expected[linkedid] = row
    timed.sort(key=lambda item: item[:3])
    ends, finishers, finisher_ids = array("Q"), array("Q"), []
    chunks: list[bytes] = []
    offset, live, most, total_live = 0, 0, 0, 0
    started: set[int] = set()
    for index, (_, n, _, text, finishes) in enumerate(timed):
        data = text.encode("utf-8")
        chunks.append(data)
        offset += len(data)
        ends.append(offset)
        if n not in started:
            started.add(n)
            live += 1
            most = max(most, live)
        total_live += live
        if finishes is not None:
            finishers.append(index)
            finisher_ids.append(finishes)
            live -= 1
    return Stream(b"".join(chunks), ends, finishers, finisher_ids, expected, most,
                  total_live / max(1, len(timed)))


def calls_for(templates: list[Template], rate: float, seconds: float) -> int:
    """How many calls make about `seconds` of stream at `rate` events/s."""
    per_call = sum(len(t.formats) for t in templates) / len(templates)
    return max(len(templates), round(rate * seconds / per_call))


def write_wavs(directory: Path, paths: list[str]) -> int:
    """A real WAV (WAV_S of silence) at every recording path: hard links to one file. Its size."""
    source = directory / "source.wav"
    with wave.open(str(source), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * int(8000 * WAV_S))
    made: set[Path] = set()
    for relative in paths:
        path = directory.joinpath(*relative.split("/"))
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        try:
            os.link(source, path)
        except OSError:
            path.write_bytes(source.read_bytes())
    return source.stat().st_size
