"""The directory, InfoPages and on-call schedule in a real SQLite file: round trips, the numbers kept in
E.164, refusals naming their field, one client's contacts unusable in another's schedule, and
who_is_on_call answering as the oncall package does."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from store import clients, connect, migrate
from store import contacts as ct
from store import infopages as ip
from store import oncall as oc

MTL = ZoneInfo("America/Montreal")


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    conn = connect(path)
    clients.add_client(conn, "1000", "A", language="en", timezone="America/Montreal")
    clients.add_client(conn, "2000", "B", timezone="Europe/Paris")
    yield conn
    conn.close()


def test_a_contact_round_trips_with_numbers_in_e164_and_the_email_normalised(db, tmp_path):
    c = ct.add_contact(db, "1000", " Marie Tremblay ", role="owner", mobile="514 555-0199",
                       office="+1 (438) 555-0142", email="Marie@Example.COM", sms=True)
    assert (c.name, c.mobile, c.office, c.email, c.sms, c.language) == \
        ("Marie Tremblay", "+15145550199", "+14385550142", "Marie@example.com", True, "en")  # client's language
    again = connect(tmp_path / "s.sqlite3")  # another connection reads what was committed
    assert ct.get_contact(again, "1000", c.id) == c and ct.list_contacts(again, "1000") == [c]
    paris = ct.add_contact(db, "2000", "Jean", mobile="+33 6 12 34 56 78", language="fr")
    assert paris.mobile == "+33612345678" and ct.list_contacts(db, "2000") == [paris]
    changed = ct.update_contact(db, "1000", c.id, office="", email=None, role="manager")
    assert (changed.office, changed.email, changed.role, changed.mobile) == (None, None, "manager", "+15145550199")


@pytest.mark.parametrize("fields, field, words", [
    ({"mobile": "555-0199"}, "mobile", "not a valid phone number"),
    ({"mobile": "call me"}, "mobile", "not a phone number"),
    ({"office": "+1 514 555 01999999"}, "office", "not a valid phone number"),
    ({"email": "marie@"}, "email", "not an email address"),
    ({"email": "a b@example.com"}, "email", "not an email address"),
    ({"sms": True}, "sms", "needs a mobile number"),
    ({"sms": "yes"}, "sms", "true or false"),
    ({"language": "de"}, "language", "fr, en"),
    ({"role": "x" * 129}, "role", "at most 128"),
])
def test_bad_contact_fields_are_refused_naming_the_field(db, fields, field, words):
    with pytest.raises(ct.ContactError, match=words) as refused:
        ct.add_contact(db, "1000", "Marie", **fields)
    assert refused.value.field == field
    assert ct.list_contacts(db, "1000") == []  # nothing kept


def test_an_empty_name_and_an_unknown_client_are_refused(db):
    with pytest.raises(ct.ContactError, match="is empty") as refused:
        ct.add_contact(db, "1000", "  ")
    assert refused.value.field == "name"
    with pytest.raises(clients.ClientNotFound):
        ct.add_contact(db, "3000", "Marie")


def test_another_clients_contact_is_not_found_and_cannot_be_used(db):
    bob = ct.add_contact(db, "2000", "Jean")
    assert ct.get_contact(db, "1000", bob.id) is None
    with pytest.raises(ct.ContactNotFound):
        ct.update_contact(db, "1000", bob.id, role="x")
    with pytest.raises(ct.ContactNotFound):
        ct.remove_contact(db, "1000", bob.id)
    with pytest.raises(oc.OncallError, match=f"client 1000 has no contact {bob.id}") as refused:
        oc.set_rotation(db, "1000", "daily", "08:00", "2026-01-05", [bob.id])
    assert refused.value.field == "contacts[0]"
    with pytest.raises(oc.OncallError) as refused:
        oc.add_override(db, "1000", bob.id, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))
    assert refused.value.field == "contact"
    # The schema itself refuses it (composite key), whatever the code above does.
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO oncall_overrides (client_code, contact_id, starts_at, ends_at, created_at) "
                   "VALUES ('1000', ?, '2026-01-05T00:00:00.000Z', '2026-01-06T00:00:00.000Z', 'now')", [bob.id])


def test_infopages_round_trip_in_order_and_replace_whole(db):
    sections = ip.parse_sections([
        {"kind": "addresses", "title": {"fr": "Adresse", "en": "Address"},
         "body": {"fr": "12 rue Principale\nMontréal", "en": "12 Main St\nMontreal"}},
        {"kind": "instructions", "title": {"en": "Urgent calls"}, "body": {"en": "Page the on-call technician."}},
    ])
    kept = ip.set_infopages(db, "1000", sections)
    assert [s.kind for s in kept] == ["addresses", "instructions"] and kept == ip.list_infopages(db, "1000")
    assert kept[1].title == {"fr": "", "en": "Urgent calls"} and kept[0].body["fr"] == "12 rue Principale\nMontréal"
    assert ip.set_infopages(db, "1000", sections[1:]) == [kept[1]]
    assert ip.list_infopages(db, "2000") == []


@pytest.mark.parametrize("sections, field", [
    ({"kind": "hours"}, "sections"),
    ([{"kind": "menu", "title": {"fr": "x"}, "body": {"fr": "y"}}], "sections[0].kind"),
    ([{"kind": "hours", "title": {"fr": "x"}, "body": {"fr": ""}}], "sections[0].body"),
    ([{"kind": "hours", "title": {}, "body": {"fr": "y"}}], "sections[0].title"),
    ([{"kind": "hours", "title": {"de": "x"}, "body": {"fr": "y"}}], "sections[0].title.de"),
    ([{"kind": "hours", "title": {"fr": "x"}, "body": {"fr": "y" * 20_001}}], "sections[0].body.fr"),
    ([{"kind": "hours", "title": {"fr": "x"}, "body": {"fr": "y"}, "colour": 1}], "sections[0].colour"),
])
def test_bad_sections_are_refused_naming_where(sections, field):
    with pytest.raises(ip.InfoPageError) as refused:
        ip.parse_sections(sections)
    assert refused.value.field == field and str(refused.value)


def test_the_rotation_and_overrides_round_trip_and_who_is_on_call_follows_them(db):
    a, b, c = (ct.add_contact(db, "1000", name, mobile=f"514555010{i}") for i, name in enumerate("ABC"))
    assert oc.who_is_on_call(db, "1000", datetime(2026, 1, 5, 12, tzinfo=UTC)) is None  # no rotation yet
    oc.set_rotation(db, "1000", "daily", "08:00", "2026-01-05", [a.id, b.id, c.id])
    rotation = oc.get_rotation(db, "1000")
    assert (rotation.period, rotation.handover.isoformat(), rotation.starts_on.isoformat(), rotation.contacts,
            rotation.timezone) == ("daily", "08:00:00", "2026-01-05", (a.id, b.id, c.id), "America/Montreal")
    handover = datetime(2026, 1, 6, 8, tzinfo=MTL)
    assert oc.who_is_on_call(db, "1000", handover - timedelta(minutes=1)) == a
    assert oc.who_is_on_call(db, "1000", handover) == b
    swap = oc.add_override(db, "1000", c.id, handover + timedelta(hours=2), handover + timedelta(hours=5),
                           reason="swap", note="B at the dentist")
    assert oc.who_is_on_call(db, "1000", handover + timedelta(hours=2)) == c
    assert oc.who_is_on_call(db, "1000", handover + timedelta(hours=5)) == b
    assert oc.list_overrides(db, "1000") == [swap]
    # who_is_on_call (SQL for the override under way) and the timeline say the same, every 20 minutes.
    sched = oc.schedule(db, "1000")
    t = handover - timedelta(days=1)
    while t < handover + timedelta(days=3):
        expected = sched.at(t)[0].contact
        found = oc.who_is_on_call(db, "1000", t)
        assert (found.id if found else None) == expected, t
        t += timedelta(minutes=20)
    with pytest.raises(ct.ContactInUse, match="on-call rotation") as refused:
        ct.remove_contact(db, "1000", a.id)
    assert refused.value.field == "id"
    oc.clear_rotation(db, "1000")
    with pytest.raises(ct.ContactInUse, match=f"override\\(s\\) {swap.id}"):
        ct.remove_contact(db, "1000", c.id)
    oc.remove_override(db, "1000", swap.id)
    ct.remove_contact(db, "1000", a.id)
    assert oc.get_rotation(db, "1000") is None and oc.who_is_on_call(db, "1000", handover) is None
    with pytest.raises(oc.OncallNotFound):
        oc.remove_override(db, "1000", swap.id)


@pytest.mark.parametrize("args, field", [
    (("hourly", "08:00", "2026-01-05"), "period"),
    (("daily", "8:00", "2026-01-05"), "handover"),
    (("daily", "24:00", "2026-01-05"), "handover"),
    (("daily", "08:00", "2026-02-30"), "starts_on"),
    (("daily", "08:00", "05/01/2026"), "starts_on"),
])
def test_bad_rotations_are_refused_naming_the_field(db, args, field):
    a = ct.add_contact(db, "1000", "A")
    with pytest.raises(oc.OncallError) as refused:
        oc.set_rotation(db, "1000", *args, [a.id])
    assert refused.value.field == field
    with pytest.raises(oc.OncallError) as refused:
        oc.set_rotation(db, "1000", "daily", "08:00", "2026-01-05", [])
    assert refused.value.field == "contacts" and oc.get_rotation(db, "1000") is None


def test_bad_overrides_are_refused(db):
    a = ct.add_contact(db, "1000", "A")
    start = datetime(2026, 1, 5, tzinfo=UTC)
    for end, reason, field in ((start, "swap", "to"), (start + timedelta(days=367), "swap", "to"),
                               (start + timedelta(hours=1), "sick", "reason")):
        with pytest.raises(oc.OncallError) as refused:
            oc.add_override(db, "1000", a.id, start, end, reason=reason)
        assert refused.value.field == field
    assert oc.list_overrides(db, "1000") == []


def test_the_feed_token_names_one_client_and_a_new_one_replaces_it(db):
    oc.set_feed_token(db, "1000", "h1")
    assert oc.client_for_feed(db, "h1") == "1000"
    oc.set_feed_token(db, "1000", "h2")
    assert (oc.client_for_feed(db, "h1"), oc.client_for_feed(db, "h2")) == (None, "1000")


def test_an_override_is_answered_as_it_is_kept(db):
    a = ct.add_contact(db, "1000", "A")
    start = datetime(2026, 1, 5, 8, 0, 0, 123456, tzinfo=MTL)  # microseconds: kept to the millisecond, in UTC
    made = oc.add_override(db, "1000", a.id, start, start + timedelta(hours=1))
    assert oc.list_overrides(db, "1000") == [made]
    assert made.start == datetime(2026, 1, 5, 13, 0, 0, 123000, tzinfo=UTC)
