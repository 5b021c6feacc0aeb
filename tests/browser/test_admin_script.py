"""A client's script edited on the admin directory page in Chromium (client 2000): a script whose
condition names a later question is refused with the question and field named on the form, and the
page still shows the script kept; a good one is saved, shown again, and is the store's."""

from __future__ import annotations

import copy
import json

from store import connect
from store import scripts as store_scripts
from tests.callscript.sample import SCRIPT

from .conftest import log_in

FORM = "form[data-action='/api/admin/clients/2000/script']"


def test_an_admin_edits_a_clients_script(browser, portal):
    page = browser("en-US")
    page.allow_console(r"status of 400")  # the refused script below
    log_in(page, "root", "/admin/clients/2000/directory")
    assert page.text("h2#script") == "Call script"
    broken = copy.deepcopy(SCRIPT)
    broken["questions"][3]["conditions"] = [{"key": "rooms", "equals": 2}]
    page.fill(f"{FORM} textarea[name=questions]", json.dumps(broken["questions"]))
    page.click(f"{FORM} button")
    page.wait(f"!document.querySelector(\"{FORM} .form-error\").hidden")
    assert page.text(f"{FORM} .form-error").startswith(
        "questions[3] (running).conditions[0].key: 'rooms' is not an earlier question")

    page.fill(f"{FORM} textarea[name=questions]", json.dumps(SCRIPT["questions"]))
    page.click(f"{FORM} button")
    page.wait(f"document.querySelector(\"{FORM} textarea\")?.defaultValue.includes('Nature of the call')")
    shown = json.loads(page.eval(f"document.querySelector(\"{FORM} textarea\").value"))
    db = connect(portal.store_path)
    try:
        kept = store_scripts.get_script(db, "2000")
    finally:
        db.close()
    assert shown == kept.as_json()["questions"] and [q["key"] for q in shown] == [q["key"] for q in SCRIPT["questions"]]
