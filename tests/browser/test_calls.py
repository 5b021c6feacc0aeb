"""The calls pages in Chromium: a client sees its own calls only (anyone else's is the 404 page),
the filters change the rows, a recording plays from /api/recordings (206 answers to the player's
Range requests), and a call shows its timeline and IVR path."""

from __future__ import annotations

import wave

from .conftest import log_in
from .seed import ALICE, BOB, CALLS, TIMELINE_CALL

ROWS = "[...document.querySelectorAll('#calls tbody tr')].map(r => r.dataset.linkedid)"
NOT_FOUND = r"status of 404"


def submit_filters(page) -> None:
    page.click("#filters button[type=submit]")
    page.wait_path("^/calls\\?")


def test_each_client_sees_its_own_calls_and_nobody_elses(browser):
    alice, bob = browser(), browser()
    log_in(alice, "alice")
    log_in(bob, "bob")
    assert alice.eval(ROWS) == ALICE and bob.eval(ROWS) == BOB
    bob.allow_console(NOT_FOUND)
    for path in (f"/calls/{ALICE[0]}", f"/calls/{TIMELINE_CALL}", "/calls?client=1000", "/stats?client=1000",
                 "/live"):
        assert bob.goto(path) == 404, path
        assert bob.text("h1") == "Page introuvable" and "Dupont" not in str(bob.eval("document.body.innerText"))
    assert bob.goto(f"/calls/{BOB[0]}") == 200


def test_the_filters_change_the_rows(browser):
    page = browser()
    log_in(page, "alice")
    page.select("select[name=disposition]", "answered")
    submit_filters(page)
    assert page.eval(ROWS) == [c for c in ALICE if next(x for x in CALLS if x.linkedid == c).disposition == "answered"]
    assert page.eval("document.querySelector('select[name=disposition]').value") == "answered"  # kept
    page.goto("/calls")
    page.fill("input[name=caller]", "2222")
    submit_filters(page)
    assert page.eval(ROWS) == ["1750000002.1"]
    page.goto("/calls")
    page.select("select[name=has_recording]", "true")
    submit_filters(page)
    assert page.eval(ROWS) == ["1750000003.1", "1750000001.1"]
    page.goto("/calls")
    page.fill("input[name=did]", "514 555-0101")
    page.fill("input[name=queue]", "accueil")
    submit_filters(page)
    assert page.eval(ROWS) == ["1750000003.1"]
    page.allow_console(r"status of 400")
    page.fill("input[name=did]", "not a number")
    page.click("#filters button[type=submit]")
    page.wait("document.querySelector('p.error') !== null")
    assert "Numéro composé" in page.text("p.error") and page.eval(ROWS) == []


def test_a_recording_plays_in_the_page(browser, portal):
    page = browser()
    log_in(page, "alice", "/calls?has_recording=true")
    linkedid = TIMELINE_CALL
    selector = f"#calls tr[data-linkedid='{linkedid}'] audio"
    page.eval(f"(() => {{ const a = document.querySelector(\"{selector}\"); a.preload = 'auto'; a.load(); }})()")
    page.wait(f"(a => a.readyState >= 1 && a.duration > 0)(document.querySelector(\"{selector}\"))")
    duration = float(page.eval(f"document.querySelector(\"{selector}\").duration"))
    path = next(portal.recordings.rglob(f"{linkedid}.wav"))
    with wave.open(str(path), "rb") as w:
        expected = w.getnframes() / w.getframerate()
    assert abs(duration - expected) < 0.05 and expected > 1
    # The player seeks: the browser asks for ranges, the server answers 206.
    page.eval(f"document.querySelector(\"{selector}\").currentTime = {expected * 0.75}")
    page.wait(f"(a => !a.seeking && a.currentTime > 0)(document.querySelector(\"{selector}\"))")
    answers = [r for r in page.events()["responses"] if "/api/recordings/" in r["url"]]
    assert answers and all(r["status"] == 206 and r["range"] for r in answers), answers
    # The download link beside it: the whole file, as an attachment named after the call.
    download = page.eval(f"""fetch(document.querySelector("#calls tr[data-linkedid='{linkedid}'] a[download]").href)
        .then(async r => [r.status, r.headers.get('content-disposition'), (await r.arrayBuffer()).byteLength])""")
    assert download == [200, f'attachment; filename="1000-{linkedid}.wav"', path.stat().st_size]


def test_a_call_shows_its_timeline_and_ivr_path(browser):
    page = browser()
    log_in(page, "alice")
    page.click(f"#calls tr[data-linkedid='{TIMELINE_CALL}'] td a")
    page.wait_path(f"^/calls/{TIMELINE_CALL}$")
    assert page.text("h1") == f"Appel {TIMELINE_CALL}"
    kinds = page.eval("[...document.querySelectorAll('#timeline li')].map(li => li.dataset.kind)")
    assert kinds == ["start", "queue_join", "agent_answer", "hangup"]
    assert "queue=accueil" in page.text("#timeline li[data-kind=queue_join]")
    steps = page.eval("[...document.querySelectorAll('#ivr-path tbody tr')].map(r => r.cells[6].textContent)")
    assert steps == ["choice 1 -> fr", "choice 1 -> accueil"]
    assert "Jeanne Roy" in page.text("#call-summary")
