"""The admin page for queues in Chromium: a new queue put through the admin API from its form, edited (a
refused value shown on the form, nothing changed), then removed — what the page shows is what the store
holds."""

from __future__ import annotations

from .conftest import log_in

ADD = "form.add-queue"
ROW = "#admin-queues tr[data-queue='ventes']"
RULES = '[{"after_s": 0, "max_penalty": 0}, {"after_s": 30, "max_penalty": 5}]'  # as the page writes them


def test_an_admin_adds_edits_and_removes_a_queue(browser):
    page = browser("en-US")
    page.allow_console(r"status of 400")  # the refusal below
    log_in(page, "root", "/admin/queues")
    page.fill(f"{ADD} input[name=name]", "ventes")
    page.select(f"{ADD} select[name=client_code]", "1000")
    page.select(f"{ADD} select[name=strategy]", "leastrecent")
    page.fill(f"{ADD} input[name=wrapup_s]", "12")
    page.fill(f"{ADD} textarea[name=penalty_rules]", RULES)
    page.click(f"{ADD} button")
    page.wait(f"document.querySelector(\"{ROW}\") !== null")
    assert page.text(f"{ROW} td.client") == "1000"
    assert (page.text(f"{ROW} td.strategy"), page.text(f"{ROW} td.wrapup")) == ("leastrecent", "12")

    page.click(f"{ROW} details summary")
    page.fill(f"{ROW} form.edit-queue input[name=wrapup_s]", "4000")  # above the store's 3600
    page.click(f"{ROW} form.edit-queue button")
    page.wait(f"!document.querySelector(\"{ROW} form.edit-queue .form-error\").hidden")
    assert "wrapup_s" in page.text(f"{ROW} form.edit-queue .form-error")
    assert page.text(f"{ROW} td.wrapup") == "12"  # refused: nothing changed
    page.fill(f"{ROW} form.edit-queue input[name=wrapup_s]", "20")
    page.select(f"{ROW} form.edit-queue select[name=strategy]", "linear")
    page.click(f"{ROW} form.edit-queue button")
    page.wait(f"document.querySelector(\"{ROW} td.strategy\")?.textContent === 'linear'")
    assert page.text(f"{ROW} td.wrapup") == "20"
    # Saved whole: the rules and the client given at creation are still there (the form carried them).
    assert page.eval(f"document.querySelector(\"{ROW} textarea[name=penalty_rules]\").value") == RULES
    assert page.text(f"{ROW} td.client") == "1000"

    page.click(f"{ROW} form.remove button")
    page.wait(f"document.querySelector(\"{ROW}\") === null && document.readyState === 'complete'")
    assert page.events()["dialogs"] == ["Remove the definition of queue ventes?"]
