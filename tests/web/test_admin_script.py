"""A client's script over the admin API: admins set and remove it, supervisors read it, clients and anyone
else get 404; a bad script is a 400 naming the question and its field and keeps the old one."""

from __future__ import annotations

import copy

import pytest

from tests.callscript.sample import SCRIPT

from .admin_support import admin_app

URL = "/api/admin/clients/1000/script"


@pytest.fixture
async def admin(tmp_path):
    async with admin_app(tmp_path) as wired:
        yield wired


async def test_admins_set_the_script_supervisors_read_it_others_get_404(admin):
    assert await admin.call("GET", URL) == (200, {"client": "1000", "questions": []})
    status, kept = await admin.call("PUT", URL, SCRIPT)
    assert status == 200 and [q["key"] for q in kept["questions"]] == [q["key"] for q in SCRIPT["questions"]]
    assert kept["questions"][1] == {"key": "callback", "text": {"fr": "Numéro de rappel", "en": "Callback number"},
                                    "type": "phone", "required": True}
    assert await admin.call("GET", URL, login="sup") == (200, kept)
    assert (await admin.call("PUT", URL, SCRIPT, login="sup"))[0] == 404
    assert (await admin.call("DELETE", URL, login="sup"))[0] == 404
    for method in ("GET", "PUT", "DELETE"):
        assert (await admin.call(method, URL, SCRIPT if method == "PUT" else None, login="alice"))[0] == 404
        assert (await admin.call(method, URL, SCRIPT if method == "PUT" else None, login=None))[0] == 401
    assert (await admin.call("GET", "/api/admin/clients/2000/script"))[1] == {"client": "2000", "questions": []}
    assert (await admin.call("PUT", "/api/admin/clients/9999/script", SCRIPT))[0] == 404
    assert (await admin.call("DELETE", URL))[0] == 204
    assert (await admin.call("GET", URL))[1]["questions"] == []


async def test_a_bad_script_names_the_question_and_field_and_keeps_the_old_one(admin):
    await admin.call("PUT", URL, SCRIPT)
    broken = copy.deepcopy(SCRIPT)
    broken["questions"][4]["conditions"] = [{"key": "notes", "equals": "x"}]  # a later question
    status, err = await admin.call("PUT", URL, broken)
    assert status == 400 and err["field"] == "questions[4].conditions[0].key"
    assert err["error"].startswith("questions[4] (rooms).conditions[0].key: 'notes' is not an earlier question")
    broken = copy.deepcopy(SCRIPT)
    broken["questions"][2]["choices"][1]["value"] = "Soumission!"
    status, err = await admin.call("PUT", URL, broken)
    assert status == 400 and err["field"] == "questions[2].choices[1].value"
    status, err = await admin.call("PUT", URL, {"questions": SCRIPT["questions"], "title": "x"})
    assert status == 400 and err["field"] == "title"
    assert (await admin.call("PUT", URL, {}))[1]["field"] == "questions"
    assert [q["key"] for q in (await admin.call("GET", URL))[1]["questions"]] == \
        [q["key"] for q in SCRIPT["questions"]]
