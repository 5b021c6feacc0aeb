"""Zero loss: the calls the AMI listener missed (back end down, AMI disconnected), rebuilt from CEL.

Run at start, after every AMI (re)connection and every `[ami] reconcile_interval` seconds. Each run
reads CEL from the stored position (store.listener_state, source 'cel') and takes each call (linkedid)
in turn:

- the store has it, or the listener is writing it: nothing to do;
- CEL has all of it (LINKEDID_END, or nothing new for STALE_AFTER: Asterisk stopped mid-call): it is
  rebuilt through a fresh CallTracker and written like any call (ami.listener.record_call), recovered;
- it is still in progress: the live listener adopts its events, and the AMI events that follow
  complete it (AMI events arriving meanwhile are held, then fed after CEL's).

The position then moves to the first row of the earliest call not yet written, so a call in progress
is read again whole; running twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ivr import variables as v
from store import calls, listener_state

from . import cel
from .calls import LINKEDID_END, CallTracker, FinishedCall
from .cel import CelError, CelRow
from .client import AMIClient
from .listener import CallListener

log = logging.getLogger(__name__)

SOURCE = "cel"
STALE_AFTER = 6 * 3600.0  # s without LINKEDID_END after CEL's newest event: Asterisk lost the call
AMI_GRACE = 10.0  # s: a call the live listener follows that ended this recently is left to AMI


@dataclass(frozen=True)
class Reconciled:
    rows: int  # CEL rows read
    recovered: int  # calls rebuilt and written
    adopted: int  # calls in progress handed to the live listener
    position: int  # the next run reads from this rowid


def rebuild(rows: list[CelRow], *, close_at_end: bool = False) -> FinishedCall | None:
    """One call from its CEL rows, through the same CallTracker as AMI; close_at_end closes it at its
    last row when CEL never says it ended."""
    tracker = CallTracker()
    finished: list[FinishedCall] = []
    for row in rows:
        for event in cel.to_events(row):
            finished += tracker.feed(event, datetime.fromtimestamp(row.time, UTC))
    if not finished and close_at_end and rows:
        last = rows[-1]
        end = {"Event": LINKEDID_END, "Linkedid": last.linkedid, "Timestamp": last.eventtime}
        finished = tracker.feed(end, datetime.fromtimestamp(last.time, UTC))
    if not finished:
        return None
    finished[0].state.recovered = True
    return finished[0]


class Reconciler:
    def __init__(self, listener: CallListener, cel_db: str | Path, *, interval: float = 60.0,
                 stale_after: float = STALE_AFTER, ami_grace: float = AMI_GRACE) -> None:
        self.listener = listener
        self.store = listener.store
        self.cel_db = Path(cel_db)
        self.interval = interval
        self.stale_after = stale_after
        self.ami_grace = ami_grace
        self._lock = asyncio.Lock()
        self._failing = False

    async def on_connect(self, client: AMIClient) -> None:
        """AMIClient's on_connect hook: what happened while we were not listening."""
        await self.run_logged()

    async def run_periodically(self) -> None:
        """Once now, then every `interval` seconds (never again if it is 0)."""
        await self.run_logged()
        while self.interval > 0:
            await asyncio.sleep(self.interval)
            await self.run_logged(quiet=True)

    async def run_logged(self, *, quiet: bool = False) -> Reconciled | None:
        """run_once, its faults logged; `quiet` logs a run that found nothing at DEBUG only."""
        try:
            result = await self.run_once(quiet=quiet)
        except CelError as exc:
            # Said once at WARNING while it lasts: the periodic run would repeat it every minute.
            log.log(logging.DEBUG if self._failing else logging.WARNING, "CEL reconciliation: %s", exc)
            self._failing = True
            return None
        except Exception:
            log.exception("CEL reconciliation failed")
            return None
        if self._failing:
            log.info("CEL reconciliation: %s readable again", self.cel_db)
            self._failing = False
        return result

    async def run_once(self, *, quiet: bool = False) -> Reconciled:
        async with self._lock:
            stored = await self.store.read(lambda db: listener_state.get_position(db, SOURCE))
            start = _position(stored)
            complete: list[tuple[list[CelRow], bool]] = []
            adopted = 0
            pending: list[int] = []  # first rows of the calls not yet written
            self.listener.hold()
            try:
                top, rows = await asyncio.to_thread(cel.read_rows, self.cel_db, start)
                if start > top + 1:
                    log.warning("CEL reconciliation: %s restarted (last row %d, position %d): reading it all",
                                self.cel_db, top, start)
                    start = 1
                    top, rows = await asyncio.to_thread(cel.read_rows, self.cel_db, start)
                groups = cel.by_call(rows)
                known = await self.store.read(lambda db: calls.known_linkedids(db, list(groups)))
                newest = max((r.time for r in rows), default=0.0)
                now = time.time()
                for linkedid, group in groups.items():
                    if linkedid in known or group[0].exten.startswith(v.FEATURE_CODE_PREFIX):
                        continue  # written already, or an agent's feature code (never in the history)
                    if self.listener.is_finishing(linkedid):
                        pending.append(group[0].rowid)
                        continue
                    ended = any(r.kind == "LINKEDID_END" for r in group)
                    followed = linkedid in self.listener.tracker.calls
                    if ended and followed and now - group[-1].time < self.ami_grace:
                        pending.append(group[0].rowid)  # AMI's Hangup is on its way
                    elif ended or newest - group[-1].time > self.stale_after:
                        self.listener.forget(linkedid)
                        complete.append((group, not ended))
                    else:
                        pending.append(group[0].rowid)
                        if not followed:
                            self.listener.adopt(linkedid, [e for r in group for e in cel.to_events(r)])
                            adopted += 1
            finally:
                self.listener.release()

            recovered, failed = await self._recover(complete)
            pending += failed  # read again next time
            position = min(pending, default=top + 1 if rows else start)
            if stored != str(position):
                await self.store.write(lambda db: listener_state.set_position(db, SOURCE, str(position)))
            result = Reconciled(len(rows), recovered, adopted, position)
            level = logging.DEBUG if quiet and not (recovered or adopted) else logging.INFO
            log.log(level, "CEL reconciliation: %d call(s) recovered, %d in progress adopted (%d rows read, "
                    "position %d)", recovered, adopted, len(rows), position)
            return result

    async def _recover(self, complete: list[tuple[list[CelRow], bool]]) -> tuple[int, list[int]]:
        """Rebuild and write these calls: (how many were written, first rows of those that failed)."""
        tasks, firsts = [], []
        for group, stale in complete:
            finished = rebuild(group, close_at_end=stale)
            if finished is None:
                # only the tail of a call whose start lies before the position: nothing to rebuild
                log.warning("CEL reconciliation: call %s has no CHAN_START from row %d on: not rebuilt",
                            group[0].linkedid, group[0].rowid)
                continue
            if stale:
                log.warning("CEL reconciliation: call %s never ended in CEL; closed at its last event",
                            group[0].linkedid)
            tasks.append(self.listener.finish(finished))
            firsts.append(group[0].rowid)
        written = await asyncio.gather(*tasks)
        failed = [first for first, record in zip(firsts, written, strict=True) if record is None]
        return len(written) - len(failed), failed

def _position(stored: str | None) -> int:
    try:
        return max(1, int(stored)) if stored is not None else 1
    except ValueError:
        log.warning("CEL reconciliation: bad stored position %r: reading CEL from the start", stored)
        return 1
