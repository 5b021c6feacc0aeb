"""`oncall`: a caller who reaches an `oncall` exit (a menu's, or a queue's overflow to the on-call target)
is put through to whoever is on call for the client at this moment in the schedule the exit names (its
second argument, IVR_ONCALL_SCHEDULE; `default` when empty) — the same answer the dispatcher and the
portal's calendar get (store.oncall.who_is_on_call). The route names the contact and the number; the
dialplan (`ivr-oncall`) dials it through the carrier as the dispatcher's calls go, and a caller nobody
takes leaves a message.

The number the contact's phone shows is the client's DID by default (`[phone] oncall_caller_id = did`):
the contact knows at once which client's caller it is, and the carrier presents a number the service
holds. With `caller`, it is the caller's own number, so the contact can call them back; a caller who
withheld theirs presents the DID.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr import variables as v
from store import Store, oncall
from store.oncall_schedules import DEFAULT, NAME

from ..session import AGISession

log = logging.getLogger(__name__)

CALLER_ID_MODES = ("did", "caller")
HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")  # as [phone] outbound is checked
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# The name travels in a UserEvent's "Key: value" list: no separators, no control characters.
_UNSAFE = re.compile(r"[,;|\\\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class OncallSettings:
    outbound: str = ""  # the carrier's host[:port] for calls we place ([phone] outbound); '' none placed
    ring_s: int = 30  # [phone] ring_s, as long as a dispatch call rings
    caller_id: str = "did"  # did | caller

    def __post_init__(self) -> None:
        if self.outbound and not HOST.match(self.outbound):
            raise ValueError(f"outbound {self.outbound!r} is not a host or host:port")
        if self.caller_id not in CALLER_ID_MODES:
            raise ValueError(f"caller_id must be one of {', '.join(CALLER_ID_MODES)}, got {self.caller_id!r}")


def dial_string(number: str, outbound: str) -> str:
    """The contact's number through the carrier endpoint, as ami/originate.py's dispatch calls go."""
    return f"PJSIP/carrier/sip:{number}@{outbound}"


class OncallRoute:
    def __init__(self, store: Store, settings: OncallSettings,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    async def __call__(self, session: AGISession) -> None:
        target = session.args[0] if session.args else ""
        schedule = (session.args[1] if len(session.args) > 1 else "") or DEFAULT
        client = await session.get_variable(v.CLIENT_CODE) or ""
        at = self.clock()
        # A schedule removed since the menu was applied (or a malformed name) has nobody on call.
        contact = await self.store.read(lambda db: oncall.who_is_on_call(db, client, at, schedule)) \
            if client and NAME.match(schedule) else None
        if contact is None:
            log.info("oncall: call %s: nobody on call for client %s in schedule %s (%s)", session.call_ref,
                     client or "?", schedule, target)
            await session.set_variable(v.ONCALL_STATUS, "nobody")
            return
        await session.set_variable(v.ONCALL_CONTACT, contact.id)
        await session.set_variable(v.ONCALL_NAME, _UNSAFE.sub(" ", contact.name).strip())
        number = contact.mobile or contact.office
        if not number:
            log.info("oncall: call %s: %s (contact %d) has no phone number", session.call_ref, contact.name,
                     contact.id)
            await session.set_variable(v.ONCALL_STATUS, "no_number")
            return
        await session.set_variable(v.ONCALL_NUMBER, number)
        if not self.settings.outbound:
            log.warning("oncall: call %s: no [phone] outbound, %s cannot be called", session.call_ref, contact.name)
            await session.set_variable(v.ONCALL_STATUS, "no_outbound")
            return
        await session.set_variable(v.ONCALL_DIAL, dial_string(number, self.settings.outbound))
        await session.set_variable(v.ONCALL_RING_S, self.settings.ring_s)
        await session.set_variable(v.ONCALL_CALLER_ID, await self._caller_id(session))
        # Last: the dialplan dials only once everything else is set.
        await session.set_variable(v.ONCALL_STATUS, v.ONCALL_DIALLING)
        log.info("oncall: call %s: client %s, schedule %s → %s (contact %d) at %s", session.call_ref, client,
                 schedule, contact.name, contact.id, number)

    async def _caller_id(self, session: AGISession) -> str:
        if self.settings.caller_id == "caller" and await session.get_variable(v.CALLER_ANONYMOUS) != "1":
            caller = await session.get_variable(v.CALLER_NUMBER) or ""
            if E164.match(caller):
                return caller
        did = await session.get_variable(v.DID) or ""
        return did if E164.match(did) else ""
