"""The oncall route over real TCP, against a fake Asterisk and a real store: the contact the rotation or an
override names at the call's moment, the number and Dial() string the dialplan uses, the caller id shown,
and every case where nobody can be dialled (the dialplan then takes a message)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agi.routes import OncallRoute, OncallSettings
from ivr import variables as v
from store import contacts, oncall, oncall_schedules

from .fake_asterisk import Channel, agi_headers, call
from .support import router_with, settled

pytestmark = pytest.mark.usefixtures("agi_logs")

OUTBOUND = "127.0.0.1:5099"
DID = "+15145550100"
CALLER = "+15145551234"
# A weekly rotation of Ana and Ben handing over on Mondays 08:00 (client 1000's zone, America/Toronto).
MONDAY = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Monday 08:00 in Toronto (EST, UTC-5): the handover


@pytest.fixture
async def people(store) -> dict[str, contacts.Contact]:
    async def add(name: str, **fields: object) -> contacts.Contact:
        return await store.write(lambda db: contacts.add_contact(db, "1000", name, **fields))

    people = {"ana": await add("Ana Roy", mobile="514 555 0171", office="514 555 0181"),
              "ben": await add("Ben Caron", office="514 555 0172"),
              "chloé": await add("Chloé Dubé, ing.", mobile="+33 6 12 34 56 78"),
              "dan": await add("Dan Nonumber", email="dan@example.com")}
    await store.write(lambda db: oncall.set_rotation(db, "1000", "weekly", "08:00", "2026-11-02",
                                                     [people["ana"].id, people["ben"].id]))
    return people


def channel(**more: str) -> Channel:
    return Channel({v.CLIENT_CODE: "1000", v.DID: DID, v.CALLER_NUMBER: CALLER, v.CALLER_ANONYMOUS: "0", **more})


async def hand_off(serve, store, at: datetime, ch: Channel | None = None, **settings) -> Channel:
    settings.setdefault("outbound", OUTBOUND)
    route = OncallRoute(store, OncallSettings(**settings), clock=lambda: at)
    server = await serve(router_with(oncall=route))
    ch = ch or channel()
    await call(server.port, agi_headers("oncall", "1000-oncall"), otherwise=ch)
    await settled(server)
    assert (server.stats.handler_errors, server.stats.hangups) == (0, 0)
    return ch


async def test_the_rotation_s_contact_is_dialled_on_the_mobile_through_the_carrier(serve, store, people):
    expected = await store.read(lambda db: oncall.who_is_on_call(db, "1000", MONDAY))
    ch = await hand_off(serve, store, MONDAY, ring_s=25)
    assert ch.variables[v.ONCALL_STATUS] == v.ONCALL_DIALLING
    assert ch.variables[v.ONCALL_CONTACT] == str(expected.id)
    assert ch.variables[v.ONCALL_NAME] == expected.name
    number = expected.mobile or expected.office
    assert ch.variables[v.ONCALL_NUMBER] == number
    assert ch.variables[v.ONCALL_DIAL] == f"PJSIP/carrier/sip:{number}@{OUTBOUND}"
    assert ch.variables[v.ONCALL_RING_S] == "25"
    assert ch.variables[v.ONCALL_CALLER_ID] == DID  # the default: the client's number
    # The dialplan dials only once everything is set: the status is set once, and last.
    assert ch.set_order[-1] == v.ONCALL_STATUS and ch.set_order.count(v.ONCALL_STATUS) == 1


async def test_the_handover_minute_changes_who_is_dialled(serve, store, people):
    before = await hand_off(serve, store, MONDAY - timedelta(minutes=1))
    after = await hand_off(serve, store, MONDAY)
    assert {before.variables[v.ONCALL_CONTACT], after.variables[v.ONCALL_CONTACT]} == \
        {str(people["ana"].id), str(people["ben"].id)}
    # Ana has a mobile and an office: the mobile; Ben only an office.
    by_contact = {c.variables[v.ONCALL_CONTACT]: c.variables[v.ONCALL_NUMBER] for c in (before, after)}
    assert by_contact == {str(people["ana"].id): "+15145550171", str(people["ben"].id): "+15145550172"}


async def test_an_override_wins_over_the_rotation_and_its_name_is_made_safe(serve, store, people):
    chloe = people["chloé"]
    await store.write(lambda db: oncall.add_override(db, "1000", chloe.id, MONDAY - timedelta(hours=1),
                                                     MONDAY + timedelta(hours=1)))
    ch = await hand_off(serve, store, MONDAY)
    assert ch.variables[v.ONCALL_CONTACT] == str(chloe.id)
    assert ch.variables[v.ONCALL_NUMBER] == "+33612345678"
    # A comma would split the dialplan's UserEvent: it goes, the rest of the name stays.
    assert ch.variables[v.ONCALL_NAME] == "Chloé Dubé  ing."
    after = await hand_off(serve, store, MONDAY + timedelta(hours=1))  # the override is over
    assert after.variables[v.ONCALL_CONTACT] != str(chloe.id)


async def test_nobody_on_call_sets_nothing_to_dial(serve, store, people):
    ch = await hand_off(serve, store, datetime(2026, 11, 1, 12, 0, tzinfo=UTC))  # before the first shift
    assert ch.variables[v.ONCALL_STATUS] == "nobody"
    assert not {v.ONCALL_DIAL, v.ONCALL_NUMBER, v.ONCALL_CONTACT} & set(ch.variables)


async def test_a_client_without_a_rotation_or_a_call_without_a_client_has_nobody(serve, store):
    assert (await hand_off(serve, store, MONDAY)).variables[v.ONCALL_STATUS] == "nobody"
    no_client = Channel({v.DID: DID})
    assert (await hand_off(serve, store, MONDAY, no_client)).variables[v.ONCALL_STATUS] == "nobody"


async def test_a_contact_without_a_phone_number_is_named_but_not_dialled(serve, store, people):
    dan = people["dan"]
    await store.write(lambda db: oncall.add_override(db, "1000", dan.id, MONDAY, MONDAY + timedelta(hours=1)))
    ch = await hand_off(serve, store, MONDAY)
    assert ch.variables[v.ONCALL_STATUS] == "no_number"
    assert ch.variables[v.ONCALL_CONTACT] == str(dan.id) and v.ONCALL_DIAL not in ch.variables


async def test_without_an_outbound_carrier_nobody_is_dialled(serve, store, people):
    ch = await hand_off(serve, store, MONDAY, outbound="")
    assert ch.variables[v.ONCALL_STATUS] == "no_outbound"
    assert v.ONCALL_NUMBER in ch.variables and v.ONCALL_DIAL not in ch.variables


async def test_the_caller_s_own_number_is_shown_when_configured_the_did_when_withheld(serve, store, people):
    shown = await hand_off(serve, store, MONDAY, caller_id="caller")
    assert shown.variables[v.ONCALL_CALLER_ID] == CALLER
    withheld = await hand_off(serve, store, MONDAY, channel(**{v.CALLER_ANONYMOUS: "1", v.CALLER_NUMBER: ""}),
                              caller_id="caller")
    assert withheld.variables[v.ONCALL_CALLER_ID] == DID


@pytest.mark.parametrize(("settings", "message"), [
    ({"outbound": "carrier;transport=tcp"}, "outbound"),
    ({"caller_id": "client"}, "caller_id"),
])
def test_bad_settings_are_refused_naming_them(settings, message):
    with pytest.raises(ValueError, match=message):
        OncallSettings(**settings)


async def test_the_schedule_the_exit_names_is_the_one_asked(serve, store, people):
    """The second argument (IVR_ONCALL_SCHEDULE): that schedule's contact; empty: `default`; a schedule the
    client does not have (removed since): nobody, the caller leaves a message."""
    await store.write(lambda db: (oncall_schedules.add_schedule(db, "1000", "medical"),
                                  oncall.set_rotation(db, "1000", "daily", "00:00", "2026-11-01",
                                                      [people["chloé"].id], "medical")))
    route = OncallRoute(store, OncallSettings(outbound=OUTBOUND), clock=lambda: MONDAY)
    server = await serve(router_with(oncall=route))
    default = await store.read(lambda db: oncall.who_is_on_call(db, "1000", MONDAY))
    for args, expected in ((("1000-oncall", "medical"), str(people["chloé"].id)),
                           (("1000-oncall", ""), str(default.id)), (("1000-oncall",), str(default.id))):
        ch = channel()
        await call(server.port, agi_headers("oncall", *args), otherwise=ch)
        await settled(server)
        assert (ch.variables[v.ONCALL_STATUS], ch.variables[v.ONCALL_CONTACT]) == (v.ONCALL_DIALLING, expected), args
    for unknown in ("night", "Bad,Name"):
        ch = channel()
        await call(server.port, agi_headers("oncall", "1000-oncall", unknown), otherwise=ch)
        await settled(server)
        assert ch.variables[v.ONCALL_STATUS] == "nobody" and v.ONCALL_DIAL not in ch.variables, unknown
    assert server.stats.handler_errors == 0
