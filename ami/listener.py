"""The AMI listener: follows calls and writes each finished one, with its recording, to the store;
and each change of an agent's state to its timeline (ami/agent_states.py).

Calls rebuilt from CEL (ami/reconcile.py) reach the store the same way: `record_call`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from recordings import RecordingInfo, measure, resolve
from recordings.files import RecordingError
from store import CallRecord, RecordingRecord, Store, agent_states, calls
from store.agent_states import StateChange
from store.clock import parse_iso

from .calls import CallTracker, FinishedCall, call_record, event_time
from .client import AMIClient, AMIError, ConnectHandler
from .live import LiveState

log = logging.getLogger(__name__)

RECORDING_EXTENSION = ".wav"  # the format MixMonitor writes in extensions.conf
Observer = Callable[[Mapping[str, str], str], None]  # an event and its time, in stream order


async def record_call(store: Store, recordings_dir: Path, finished: FinishedCall, *,
                      settle_timeout: float) -> CallRecord | None:
    """Measure a finished call's recording and write the call (recovered or not); None if the write failed."""
    state = finished.state
    recs: tuple[RecordingRecord, ...] = ()
    if state.recording_file and state.client_code:
        # A call that ended longer ago than the settle time has a closed recording: measure it once.
        age = (datetime.now(UTC) - parse_iso(finished.ended_at)).total_seconds()
        info = await settled_recording(recordings_dir, state.linkedid, state.recording_file,
                                       settle_timeout if age < settle_timeout else 0.0)
        if info is not None:
            recs = (RecordingRecord(state.recording_file + RECORDING_EXTENSION,
                                    info.size_bytes, info.duration_s, info.format),)
    record = call_record(finished, recs)
    try:
        await store.write(lambda db: calls.save_call(db, record))
    except Exception:
        log.exception("AMI listener: call %s could not be written", state.linkedid)
        return None
    log.info("call %s ended: %s, client %s, %d recording(s)%s", state.linkedid, record.disposition,
             record.client_code or "-", len(recs), " (recovered from CEL)" if record.recovered else "")
    return record


async def settled_recording(recordings_dir: Path, linkedid: str, relative: str,
                            settle_timeout: float) -> RecordingInfo | None:
    """MixMonitor finalises the WAV header when it closes the file, which may follow the
    Hangup event: wait until the header shows audio and the size stops moving."""
    try:
        path = resolve(recordings_dir, relative + RECORDING_EXTENSION)
    except RecordingError as exc:
        log.warning("call %s: %s", linkedid, exc)
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_timeout
    last: RecordingInfo | None = None
    problem = "no file"
    while True:
        try:
            # A closed file is measured in place (a stat and a 44-byte header: microseconds); one
            # still being written is polled from a thread.
            info = measure(path) if settle_timeout <= 0 else await asyncio.to_thread(measure, path)
        except RecordingError as exc:
            info, problem = None, str(exc)
        if info is not None and info.duration_s > 0 and (info == last or settle_timeout <= 0):
            return info
        last = info
        if loop.time() >= deadline:
            break
        await asyncio.sleep(0.2)
    if last is not None and last.duration_s > 0:
        return last
    if last is not None:
        # A call that ended as it was answered leaves a header and no audio: nothing worth keeping.
        await asyncio.to_thread(path.unlink, missing_ok=True)
        log.info("call %s: recording %s had no audio; removed", linkedid, relative)
        return None
    log.warning("call %s: recording %s not usable: %s", linkedid, relative, problem)
    return None


class CallListener:
    def __init__(self, store: Store, recordings_dir: Path, *, settle_timeout: float = 5.0,
                 live: LiveState | None = None, observers: Sequence[Observer] = ()) -> None:
        self.store = store
        self.live = live
        self.observers = tuple(observers)  # after the live state, in order (ami.screenpop)
        self.recordings_dir = recordings_dir
        self.settle_timeout = settle_timeout
        self.tracker = CallTracker()
        self._finishing: dict[str, asyncio.Task[CallRecord | None]] = {}
        self._held: list[Mapping[str, str]] | None = None
        self._wrap_up_timer: asyncio.TimerHandle | None = None

    async def on_event(self, event: Mapping[str, str]) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        self._feed(event)

    def _feed(self, event: Mapping[str, str]) -> None:
        now = datetime.now(UTC)
        if self.live is not None or self.observers:
            when = event_time(event, now)
            if self.live is not None:
                self._agents_changed(self.live.feed(event, when))
            for observer in self.observers:
                observer(event, when)
        for finished in self.tracker.feed(event, now):
            self.finish(finished)

    def _agents_changed(self, changes: list[StateChange]) -> None:
        """Agents' new states to their timelines (in order: one writer), and the next wrap-up's end timed."""
        for change in changes:
            self.store.write_later(lambda db, c=change: agent_states.record(db, c),
                                   f"agent {change.agent_id} state {change.state}")
        if self.live is None:
            return
        deadline = self.live.agents.next_deadline()
        if self._wrap_up_timer is not None:
            self._wrap_up_timer.cancel()
            self._wrap_up_timer = None
        if deadline is not None:
            loop = asyncio.get_running_loop()
            delay = max(0.0, (deadline - datetime.now(UTC)).total_seconds())
            self._wrap_up_timer = loop.call_later(delay, self._wrap_ups_over)

    def _wrap_ups_over(self) -> None:
        self._wrap_up_timer = None
        if self.live is not None:
            self._agents_changed(self.live.expire(datetime.now(UTC)))

    async def resync_live(self, client: AMIClient) -> None:
        """After a (re)connect: live calls from the tracker, agents and waiting callers from QueueStatus."""
        if self.live is None:
            return
        self.live.reset(self.tracker.calls.values())
        try:
            events = await client.list_action({"Action": "QueueStatus"})
        except (AMIError, TimeoutError) as exc:
            log.warning("AMI: QueueStatus failed, agents unknown until their next event: %s", exc)
            return
        now = datetime.now(UTC)
        self.live.agents.begin_resync()
        for event in events:
            self._agents_changed(self.live.feed(event, event_time(event, now)))
        self._agents_changed(self.live.agents.end_resync(event_time({}, now)))

    def finish(self, finished: FinishedCall) -> asyncio.Task[CallRecord | None]:
        """Write a finished call beside the event stream (measuring waits for MixMonitor to close the file)."""
        linkedid = finished.state.linkedid
        task = asyncio.create_task(record_call(self.store, self.recordings_dir, finished,
                                               settle_timeout=self.settle_timeout), name=f"call-{linkedid}")
        self._finishing[linkedid] = task

        def done(_: asyncio.Task[CallRecord | None]) -> None:
            if self._finishing.get(linkedid) is task:
                del self._finishing[linkedid]

        task.add_done_callback(done)
        return task

    def is_finishing(self, linkedid: str) -> bool:
        return linkedid in self._finishing

    def hold(self) -> None:
        """Keep the AMI events that arrive from now on until release() (while CEL is read and adopted)."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Feed the held events, in order, then follow AMI directly again."""
        held, self._held = self._held or [], None
        for event in held:
            self._feed(event)

    def adopt(self, linkedid: str, events: Iterable[Mapping[str, str]]) -> None:
        """Take over a call in progress from CEL's events: the AMI events that follow complete it."""
        for event in events:
            finished = self.tracker.feed(event, datetime.now(UTC))
            if linkedid in self.tracker.calls:
                self.tracker.calls[linkedid].recovered = True
            for call in finished:
                call.state.recovered = True
                self.finish(call)

    def forget(self, linkedid: str) -> None:
        """Drop a call from the live tracker (CEL has all of it: it is rebuilt from there)."""
        self.tracker.calls.pop(linkedid, None)

    async def drain(self) -> None:
        """Wait for the calls being written (shutdown, tests)."""
        if self._wrap_up_timer is not None:
            self._wrap_up_timer.cancel()
            self._wrap_up_timer = None
        while self._finishing:
            await asyncio.gather(*list(self._finishing.values()), return_exceptions=True)


def make_client(listener: CallListener, host: str, port: int, username: str, secret: str,
                ping_interval: float, on_connect: ConnectHandler | None = None) -> AMIClient:
    return AMIClient(host, port, username, secret, on_event=listener.on_event, on_connect=on_connect,
                     ping_interval=ping_interval)
