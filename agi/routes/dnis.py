"""`dnis`: the dialled number → the client, its language and where the call is recorded."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from ivr import variables as v
from recordings import recording_name
from store import NumberError, Store, clients, to_e164

from ..session import AGISession

log = logging.getLogger(__name__)


class DnisRoute:
    def __init__(self, store: Store, default_region: str = "CA") -> None:
        self.store = store
        self.default_region = default_region

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
        client = await self.store.read(lambda db: clients.client_for_did(db, did))
        if client is None:
            log.info("dnis: call %s: unknown DID %s (dialled %r)", session.call_ref, did, dialled)
            await session.set_variable(v.DNIS_STATUS, v.DNIS_UNKNOWN)
            return
        await session.set_variable(v.CLIENT_CODE, client.code)
        await session.set_variable("CHANNEL(language)", client.language)
        if session.linkedid:
            name = recording_name(client.code, session.linkedid, datetime.now(UTC))
            await session.set_variable(v.RECORDING_FILE, name)
        await session.set_variable(v.DNIS_STATUS, v.DNIS_FOUND)
        log.info("dnis: call %s: %s → client %s (%s)", session.call_ref, did, client.code, client.language)
