"""The on-call and InfoPages pages over HTTP: the client's own calendar (today's entry, the override, the
handover time in its zone), its InfoPages in the viewer's language with the other as fallback, staff
choose a client, another client gets the 404 page; every page has the strict CSP and no inline script."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from store import contacts, infopages
from store import oncall as store_oncall

from .conftest import Api
from .test_pages import login, page

ZONE = ZoneInfo("America/Toronto")


async def _seed(api: Api) -> dict:
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()

    def seed(db) -> dict:
        ana = contacts.add_contact(db, "1000", "Ana Roy", role="tech", mobile="5145550101")
        ben = contacts.add_contact(db, "1000", "Ben <b>Lee</b>", mobile="5145550102")
        store_oncall.set_rotation(db, "1000", "daily", "08:00", (today - timedelta(days=10)).isoformat(),
                                  [ana.id, ben.id])
        start = datetime.combine(today + timedelta(days=2), datetime.min.time(), tzinfo=ZONE).replace(hour=12)
        swap = store_oncall.add_override(db, "1000", ana.id, start, start + timedelta(hours=6), "holiday")
        infopages.set_infopages(db, "1000", infopages.parse_sections([
            {"kind": "instructions", "title": {"fr": "Consignes", "en": "Protocol"},
             "body": {"fr": "Appeler le technicien.\nSinon un message.", "en": "Call the technician."}},
            {"kind": "hours", "title": {"fr": "Heures"}, "body": {"fr": "8h à 17h"}}]))
        return {"ana": ana, "ben": ben, "swap": swap, "now": now}

    return await api.store.write(seed)


async def test_the_client_sees_its_calendar_and_who_is_on_call_now(api: Api):
    seeded = await _seed(api)
    await login(api, "alice")
    html = await page(api, "/oncall")
    expected = await api.store.read(lambda db: store_oncall.who_is_on_call(db, "1000", datetime.now(UTC)))
    assert re.search(rf'id="oncall-now" data-contact="{expected.id}"', html)
    assert "Ben &lt;b&gt;Lee&lt;/b&gt;" in html and "<b>Lee" not in html  # escaped
    days = re.findall(r'<li class="day[^"]*" data-date="([^"]+)"', html)
    assert len(days) == 28 and datetime.fromisoformat(days[0]).weekday() == 0
    assert 'class="day today"' in html
    swap = seeded["swap"]
    assert f'data-from="{swap.start.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}"' \
        in html
    assert html.count('class="entry override"') == 1 and "<time" in html and ">08:00</time>" in html
    assert 'src="/static/oncall.js"' in html and 'id="feed-new"' in html
    assert 'href="/api/oncall.ics"' in html
    en = await page(api, "/oncall", headers={"Cookie": "permanence_lang=en"})
    assert "On call now" in en and "Daily rotation, handover at 08:00" in en


async def test_infopages_in_the_viewers_language_and_the_directory(api: Api):
    await _seed(api)
    await login(api, "alice")
    html = await page(api, "/infopages")
    assert re.findall(r'data-kind="([a-z]+)"', html) == ["instructions", "hours"]
    assert "<p>Appeler le technicien.</p><p>Sinon un message.</p>" in html
    names = re.findall(r'<tr data-contact="\d+"><th scope="row">([^<]+)', html)
    assert names == ["Ana Roy", "Ben &lt;b&gt;Lee&lt;/b&gt;"]
    assert 'href="tel:+15145550101"' in html
    en = await page(api, "/infopages", headers={"Cookie": "permanence_lang=en"})
    assert '<h2 lang="en"><span class="kind">Instructions</span> Protocol</h2>' in en
    assert '<h2 lang="fr"><span class="kind">Hours</span> Heures</h2>' in en  # only in French: shown so


async def test_staff_choose_a_client_and_another_client_gets_the_404_page(api: Api):
    await _seed(api)
    await login(api, "bob")
    for path in ("/oncall?client=1000", "/infopages?client=1000"):
        text = await page(api, path, 404)
        assert "Ana" not in text and "Consignes" not in text, path
    assert "Ana" not in await page(api, "/oncall") and 'data-contact=""' in await page(api, "/oncall")
    assert 'id="contacts"' not in await page(api, "/infopages")  # bob's own: no contacts
    await login(api, "root")
    chooser = await page(api, "/oncall")
    assert 'id="client-choice"' in chooser and 'id="oncall-calendar"' not in chooser
    assert 'id="oncall-calendar"' in await page(api, "/oncall?client=1000")
    assert 'href="/api/oncall.ics?client=1000"' in await page(api, "/oncall?client=1000")
    assert "Ana Roy" in await page(api, "/infopages?client=1000")
    assert "Page introuvable" in await page(api, "/oncall?client=9999", 404)
    assert 'role="alert"' in await page(api, "/oncall?client=12", 400)


async def test_the_admin_directory_page_shows_the_forms_of_the_admin_api(api: Api, make_api):
    seeded = await _seed(api)
    await login(api, "root")
    html = await page(api, "/admin/clients/1000/directory")
    assert re.findall(r'<tr data-contact="(\d+)"', html) == [str(seeded["ana"].id), str(seeded["ben"].id)]
    assert 'data-method="POST" data-action="/api/admin/clients/1000/contacts"' in html
    assert 'data-method="PUT" data-action="/api/admin/clients/1000/oncall/rotation"' in html
    assert f'value="[{seeded["ana"].id}, {seeded["ben"].id}]"' in html and 'value="08:00"' in html
    assert f'data-action="/api/admin/clients/1000/oncall/overrides/{seeded["swap"].id}"' in html
    assert 'data-method="PUT" data-action="/api/admin/clients/1000/infopages"' in html and "Consignes" in html
    assert 'src="/static/admin.js"' in html
    assert 'href="/admin/clients/1000/directory"' in await page(api, "/admin/clients")
    assert "Page introuvable" in await page(api, "/admin/clients/9999/directory", 404)
    assert "Page introuvable" in await page(api, "/admin/clients/..%2Fx/directory", 404)
    for who in ("alice", "sup"):
        other = await make_api()
        await login(other, who)
        assert "Page introuvable" in await page(other, "/admin/clients/1000/directory", 404), who
