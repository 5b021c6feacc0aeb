"""The directory and InfoPages over HTTP: admins edit them (numbers answered in E.164), supervisors read them,
the client reads its own and another client gets 404; bad input is a 400 naming the field and keeps nothing."""

from __future__ import annotations

import pytest

from .admin_support import admin_app
from .directory_support import with_bob

MARIE = {"name": "Marie Tremblay", "role": "owner", "mobile": "514 555-0199", "office": "+1 438 555 0142",
         "email": "marie@example.com", "sms": True}


@pytest.fixture
async def admin(tmp_path):
    async with admin_app(tmp_path) as wired:
        await with_bob(wired)
        yield wired


async def test_admins_edit_contacts_supervisors_read_them_the_client_reads_its_own(admin):
    status, marie = await admin.call("POST", "/api/admin/clients/1000/contacts", MARIE)
    assert status == 201, marie
    assert (marie["mobile"], marie["office"], marie["sms"], marie["language"]) == \
        ("+15145550199", "+14385550142", True, "fr")
    status, jean = await admin.call("POST", "/api/admin/clients/1000/contacts", {"name": "Jean", "language": "en"})
    assert status == 201 and (jean["mobile"], jean["email"], jean["sms"]) == (None, None, False)
    status, changed = await admin.call("PATCH", f"/api/admin/clients/1000/contacts/{jean['id']}",
                                       {"office": "(514) 555-0111", "role": "technician"})
    assert status == 200 and (changed["office"], changed["role"], changed["name"]) == \
        ("+15145550111", "technician", "Jean")
    status, listed = await admin.call("GET", "/api/admin/clients/1000/contacts", login="sup")
    assert status == 200 and [c["name"] for c in listed["contacts"]] == ["Jean", "Marie Tremblay"]
    assert (await admin.call("POST", "/api/admin/clients/1000/contacts", {"name": "X"}, login="sup"))[0] == 404
    status, mine = await admin.call("GET", "/api/contacts", login="alice")
    assert status == 200 and mine == {"client": "1000", "contacts": [changed, marie]}
    assert (await admin.call("GET", "/api/contacts?client=1000", login="root"))[1] == mine
    status, err = await admin.call("GET", "/api/contacts", login="root")
    assert status == 400 and err["parameter"] == "client"
    status, _ = await admin.call("DELETE", f"/api/admin/clients/1000/contacts/{jean['id']}")
    assert status == 204
    assert [c["id"] for c in (await admin.call("GET", "/api/contacts", login="alice"))[1]["contacts"]] == [marie["id"]]


async def test_another_client_reaches_nothing_of_the_first(admin):
    _, marie = await admin.call("POST", "/api/admin/clients/1000/contacts", MARIE)
    await admin.call("PUT", "/api/admin/clients/1000/infopages", {"sections": [
        {"kind": "instructions", "title": {"fr": "Urgences"}, "body": {"fr": "Appeler Marie."}}]})
    for path in ("/api/contacts?client=1000", "/api/infopages?client=1000", "/api/admin/clients/1000/contacts",
                 f"/api/admin/clients/1000/contacts/{marie['id']}", "/api/admin/clients/1000/infopages"):
        status, body = await admin.call("GET", path, login="bob")
        assert status == 404 and "1000" not in body["error"] and "Marie" not in str(body), path
    assert (await admin.call("GET", "/api/contacts", login="bob"))[1] == {"client": "2000", "contacts": []}
    assert (await admin.call("GET", "/api/infopages", login="bob"))[1] == {"client": "2000", "sections": []}
    # Through client 2000's admin routes, client 1000's contact is not found either.
    for method in ("GET", "PATCH", "DELETE"):
        status, _ = await admin.call(method, f"/api/admin/clients/2000/contacts/{marie['id']}",
                                     {"role": "x"} if method == "PATCH" else None)
        assert status == 404, method
    assert (await admin.call("GET", "/api/admin/clients/9999/contacts"))[0] == 404


@pytest.mark.parametrize("body, field, words", [
    ({"name": "A", "mobile": "555-0199"}, "mobile", "not a valid phone number"),
    ({"name": "A", "office": "office"}, "office", "not a phone number"),
    ({"name": "A", "email": "a@b@c"}, "email", "not an email address"),
    ({"name": "A", "sms": True}, "sms", "needs a mobile number"),
    ({"name": "A", "sms": "yes"}, "sms", "true or false"),
    ({"name": ""}, "name", "is empty"),
    ({"role": "x"}, "name", "missing"),
    ({"name": "A", "pager": "1"}, "pager", "unknown field"),
    ({"name": "A", "language": "de"}, "language", "fr, en"),
])
async def test_bad_contacts_are_refused_naming_the_field_and_nothing_is_kept(admin, body, field, words):
    status, err = await admin.call("POST", "/api/admin/clients/1000/contacts", body)
    assert status == 400 and err["field"] == field and words in err["error"] and err["error"].startswith(field), err
    assert (await admin.call("GET", "/api/admin/clients/1000/contacts"))[1]["contacts"] == []


async def test_infopages_are_replaced_whole_and_read_by_the_client(admin):
    sections = [
        {"kind": "addresses", "title": {"fr": "Adresse", "en": "Address"},
         "body": {"fr": "12 rue Principale, Montréal", "en": "12 Main St, Montreal"}},
        {"kind": "hours", "title": {"fr": "Heures"}, "body": {"fr": "lun-ven 8h-17h"}},
        {"kind": "instructions", "title": {"en": "Protocol"}, "body": {"en": "Fire alarm: call the on-call tech.\n"
                                                                            "Otherwise take a message."}},
    ]
    status, kept = await admin.call("PUT", "/api/admin/clients/1000/infopages", {"sections": sections})
    assert status == 200 and [s["kind"] for s in kept["sections"]] == ["addresses", "hours", "instructions"]
    assert kept["sections"][1]["title"] == {"fr": "Heures", "en": ""}
    assert (await admin.call("GET", "/api/infopages", login="alice"))[1] == kept
    assert (await admin.call("GET", "/api/admin/clients/1000/infopages", login="sup"))[1] == kept
    status, err = await admin.call("PUT", "/api/admin/clients/1000/infopages", {"sections": [
        sections[0], {"kind": "menu", "title": {"fr": "x"}, "body": {"fr": "y"}}]})
    assert status == 400 and err["field"] == "sections[1].kind" and "instructions" in err["error"]
    status, err = await admin.call("PUT", "/api/admin/clients/1000/infopages", {"sections": [
        {"kind": "hours", "title": {"fr": "x"}, "body": {"fr": 3}}]})
    assert status == 400 and err["field"] == "sections[0].body.fr"
    assert (await admin.call("GET", "/api/infopages", login="alice"))[1] == kept  # refused: nothing changed
    assert (await admin.call("PUT", "/api/admin/clients/1000/infopages", {"sections": []}, login="sup"))[0] == 404
    assert (await admin.call("PUT", "/api/admin/clients/1000/infopages", {"sections": []}))[1]["sections"] == []
