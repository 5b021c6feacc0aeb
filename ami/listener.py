"""The AMI listener: follows calls and writes each finished one, with its recording, to the store."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from panoramisk.message import Message

from recordings import RecordingInfo, measure, resolve
from recordings.files import RecordingError
from store import CallRecord, RecordingRecord, Store, calls
from store.clock import parse_iso

from .calls import CallTracker, FinishedCall
from .client import AMIClient

log = logging.getLogger(__name__)

RECORDING_EXTENSION = ".wav"  # the format MixMonitor writes in extensions.conf


class CallListener:
    def __init__(self, store: Store, recordings_dir: Path, *, settle_timeout: float = 5.0) -> None:
        self.store = store
        self.recordings_dir = recordings_dir
        self.settle_timeout = settle_timeout
        self.tracker = CallTracker()
        self._finishing: set[asyncio.Task[None]] = set()

    async def on_event(self, event: Message) -> None:
        for finished in self.tracker.feed(event, datetime.now(UTC)):
            # Measuring waits for MixMonitor to close the file: do it beside the event stream.
            task = asyncio.create_task(self._finish(finished), name=f"call-{finished.state.linkedid}")
            self._finishing.add(task)
            task.add_done_callback(self._finishing.discard)

    async def drain(self) -> None:
        """Wait for the calls being written (shutdown, tests)."""
        while self._finishing:
            await asyncio.gather(*list(self._finishing), return_exceptions=True)

    async def _finish(self, finished: FinishedCall) -> None:
        state = finished.state
        recs: tuple[RecordingRecord, ...] = ()
        if state.recording_file and state.client_code:
            info = await self._settled_recording(state.linkedid, state.recording_file)
            if info is not None:
                recs = (RecordingRecord(state.recording_file + RECORDING_EXTENSION,
                                        info.size_bytes, info.duration_s, info.format),)
        started, ended = parse_iso(state.started_at), parse_iso(finished.ended_at)
        record = CallRecord(
            linkedid=state.linkedid,
            client_code=state.client_code,
            did=state.did,
            dialled=state.dialled,
            caller_number=state.caller_number,
            caller_name=state.caller_name,
            started_at=state.started_at,
            answered_at=state.answered_at,
            ended_at=finished.ended_at,
            duration_s=round((ended - started).total_seconds(), 3),
            disposition=state.disposition,
            hangup_cause=state.hangup_cause,
            recordings=recs,
        )
        try:
            await self.store.write(lambda db: calls.save_call(db, record))
        except Exception:
            log.exception("AMI listener: call %s could not be written", state.linkedid)
            return
        log.info("call %s ended: %s, client %s, %d recording(s)",
                 state.linkedid, record.disposition, record.client_code or "-", len(recs))

    async def _settled_recording(self, linkedid: str, relative: str) -> RecordingInfo | None:
        """MixMonitor finalises the WAV header when it closes the file, which may follow the
        Hangup event: wait until the header shows audio and the size stops moving."""
        try:
            path = resolve(self.recordings_dir, relative + RECORDING_EXTENSION)
        except RecordingError as exc:
            log.warning("call %s: %s", linkedid, exc)
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_timeout
        last: RecordingInfo | None = None
        problem = "no file"
        while True:
            try:
                info = await asyncio.to_thread(measure, path)
            except RecordingError as exc:
                info, problem = None, str(exc)
            if info is not None and info.duration_s > 0 and info == last:
                return info
            last = info
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.2)
        if last is not None and last.duration_s > 0:
            return last
        log.warning("call %s: recording %s not usable: %s", linkedid, relative, problem if last is None
                    else "no audio")
        return None


def make_client(listener: CallListener, host: str, port: int, username: str, secret: str,
                ping_interval: float) -> AMIClient:
    return AMIClient(host, port, username, secret, on_event=listener.on_event, ping_interval=ping_interval)
