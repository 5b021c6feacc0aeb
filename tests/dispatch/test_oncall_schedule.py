"""A protocol step naming one of the client's on-call schedules reaches that schedule's contact, through a
real Kannel: the same message's next step, naming none, reaches the default schedule's; a schedule with
nobody on call is skipped saying which."""

from __future__ import annotations

from store import contacts, oncall, oncall_schedules, protocols

from .conftest import MOBILE, World

MEDICAL_MOBILE = "+15145550177"


async def test_each_step_reaches_the_contact_on_call_in_the_schedule_it_names(world: World) -> None:
    def name_schedules(db) -> int:
        oncall_schedules.add_schedule(db, "1000", "medical", "Médical")
        oncall_schedules.add_schedule(db, "1000", "empty")
        doctor = contacts.add_contact(db, "1000", "Dre Lefebvre", mobile=MEDICAL_MOBILE, sms=True, language="fr")
        oncall.set_rotation(db, "1000", "daily", "00:00", "2020-01-06", [doctor.id], "medical")
        protocols.set_protocol(db, "1000", [
            {"channel": "sms", "to": "on_call", "wait_s": 2, "schedule": "empty"},
            {"channel": "sms", "to": "on_call", "wait_s": 2, "schedule": "medical"},
            {"channel": "sms", "to": "on_call", "wait_s": 2}])
        return doctor.id

    doctor = await world.store.write(name_schedules)
    message = await world.take()
    first = await world.until(lambda: world.sms_to(MEDICAL_MOBILE), 10, "the SMS to the medical schedule's contact")
    assert first[0].startswith("Plomberie Demo : M. Tremblay")
    assert world.sms_to(MOBILE) == []  # not the default schedule's Marie: that step is next
    await world.until(lambda: world.sms_to(MOBILE), 10, "the SMS to the default schedule's contact")
    _, history = await world.message(message.id)
    steps = [(e.step, e.result, e.contact_id, e.recipient, e.detail) for e in history if e.channel == "sms"]
    assert steps[0][:2] == (0, "failed") and steps[0][4] == "nobody is on call in schedule empty"
    assert (steps[1][0], steps[1][1], steps[1][2], steps[1][3]) == (1, "sent", doctor, MEDICAL_MOBILE)
    assert [(s[0], s[2], s[3]) for s in steps if s[1] == "sent"] == [(1, doctor, MEDICAL_MOBILE),
                                                                     (2, world.marie, MOBILE)]
