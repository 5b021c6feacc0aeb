"""`dnis`: the dialled number → the client, its language, entry menu and recording; the caller's
number → their record with this client (created on the first call)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from ivr import variables as v
from recordings import recording_name
from store import NumberError, Store, callers, to_e164
from store.clock import iso

from ..session import AGISession
from .callerid import caller_id

log = logging.getLogger(__name__)


class DnisRoute:
    def __init__(self, store: Store, default_region: str = "CA",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.default_region = default_region
        self.clock = clock

    async def __call__(self, session: AGISession) -> None:
        # The dialplan passes ${EXTEN} as the first argument; agi_extension is the fallback.
        dialled = session.args[0] if session.args else session.headers.get("agi_extension", "")
        session.linkedid = await session.get_variable("CHANNEL(linkedid)")
        try:
            did = to_e164(dialled, self.default_region)
        except NumberError as exc:
            log.info("dnis: call %s: %s", session.call_ref, exc)
            await session.set_variable(v.DNIS_STATUS, v.DNIS_INVALID)
            return
        await session.set_variable(v.DID, did)
        client = self.store.routing.client_for_did(did)
        if client is None:
            log.info("dnis: call %s: unknown DID %s (dialled %r)", session.call_ref, did, dialled)
            await session.set_variable(v.DNIS_STATUS, v.DNIS_UNKNOWN)
            return
        now = self.clock()
        await session.set_variable(v.CLIENT_CODE, client.code)
        await session.set_variable("CHANNEL(language)", client.language)
        await session.set_variable(v.IVR_MENU_ENTRY, client.entry_menu or "")
        if session.linkedid:
            await session.set_variable(v.RECORDING_FILE, recording_name(client.code, session.linkedid, now))
        await self._caller(session, client.code, now)
        await session.set_variable(v.DNIS_STATUS, v.DNIS_FOUND)
        log.info("dnis: call %s: %s → client %s (%s)", session.call_ref, did, client.code, client.language)

    async def _caller(self, session: AGISession, client_code: str, now: datetime) -> None:
        who = caller_id(session.headers, self.default_region)
        await session.set_variable(v.CALLER_ANONYMOUS, "1" if who.anonymous else "0")
        await session.set_variable(v.CALLER_NUMBER, who.number or "")
        if who.number is None:
            await session.set_variable(v.CALLER_KNOWN, "0")
            return
        number, linkedid = who.number, session.linkedid
        # Read and update in one write job: two calls from one number see their own counts.
        before, after = await self.store.write(
            lambda db: callers.touch_caller(db, client_code, number, who.name, linkedid, iso(now)))
        await session.set_variable(v.CALLER_KNOWN, "1" if before is not None else "0")
        await session.set_variable(v.CALLER_CALLS, after.calls_count)
        if after.name:
            await session.set_variable(v.CALLER_NAME, after.name)
        if before is not None:
            await session.set_variable(v.CALLER_LAST_CALL, before.last_call_at)
            if before.notes:
                await session.set_variable(v.CALLER_NOTES, before.notes[:500])
