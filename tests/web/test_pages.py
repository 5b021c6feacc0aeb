"""The portal's pages over HTTP (the browser tests in tests/browser drive them in Chromium): who may
open which page, the client's walls, the filters, the CSP and CSRF, languages, the catalogue."""

from __future__ import annotations

import re
import string
from datetime import timedelta
from pathlib import Path

from dialplan.deploy import Report
from store import CallRecord, Scope, agents, calls, menus, users
from store.calls import HANGUP_SIDES
from store.clock import iso
from store.stats import WAIT_BUCKETS_S, StatsQuery, wait_distribution
from web.admin import AdminSettings
from web.admin.asterisk import report_json
from web.pages import admin_directory, directory, i18n
from web.pages import calls as calls_page
from web.pages.live import LABEL_KEYS
from web.pages.messages import MESSAGES
from web.pages.render import PAGE_CSP, TEMPLATES_DIR
from web.security import SecuritySettings
from web.sessions import COOKIE

from .conftest import PASSWORDS, SUPERVISOR, Api
from .history_data import DAY, seed_history

ALL = {**PASSWORDS, SUPERVISOR[0]: SUPERVISOR[1]}
PAGES = ("/calls", "/calls/1700000000.1", "/stats", "/live")


async def login(api: Api, who: str) -> str:
    """A browser session in the test client's cookie jar; its CSRF token."""
    resp = await api.client.post("/api/session", json={"login": who, "password": ALL[who]})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["csrf_token"]


async def page(api: Api, path: str, status: int = 200, **kw) -> str:
    resp = await api.client.get(path, allow_redirects=False, **kw)
    text = await resp.text()
    assert resp.status == status, (path, resp.status, text[:300])
    if status != 303:
        assert resp.content_type == "text/html", path
        assert resp.headers["Content-Security-Policy"] == PAGE_CSP and resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), f"{path}: an inline script"
        assert " style=" not in text and "<style" not in text, f"{path}: an inline style"
    return text


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-linkedid="([^"]+)"', html)


async def test_without_a_login_every_page_sends_to_the_form_and_back(api: Api):
    for path in PAGES:
        resp = await api.client.get(path, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/login?next=/"), path
    form = await page(api, "/login?next=/stats")
    assert 'action="/login" data-api="/api/session"' in form and 'name="next" value="/stats"' in form
    assert 'src="/static/login.js"' in form
    assert 'value="https://evil.example/"' not in await page(api, "/login?next=https://evil.example/")
    await login(api, "alice")
    resp = await api.client.get("/login?next=/stats", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/stats"


async def test_a_client_sees_its_own_calls_and_the_404_page_for_anyone_elses(api: Api):
    await api.store.write(seed_history)
    await login(api, "bob")
    assert rows(await page(api, "/calls")) == ["1800000000.1"]
    for path in ("/calls/1700000000.1", "/calls/h1", "/calls/old", "/calls/nothing", "/calls?client=1000",
                 "/stats?client=1000", "/live", "/calls/" + "x" * 100):
        text = re.sub(r'id="language-switch" href="[^"]*"', "", await page(api, path, 404))  # echoes the path
        assert "Page introuvable" in text and "1000" not in text, path
    text = await page(api, "/calls/1800000000.1")
    assert "Appel 1800000000.1" in text


async def test_the_filters_narrow_the_rows_and_a_bad_one_is_named(api: Api):
    await api.store.write(seed_history)
    await login(api, "alice")
    everything = rows(await page(api, "/calls"))
    assert everything == ["1700000020.1", "1700000010.1", "1700000000.1", "h4", "h3", "h2", "h1"]
    assert rows(await page(api, "/calls?disposition=abandoned_queue")) == ["h2"]
    assert rows(await page(api, "/calls?caller=2222")) == ["h2"]
    assert rows(await page(api, "/calls?did=514-555-0101")) == ["h4", "h2"]
    assert rows(await page(api, "/calls?queue=1000-accueil&agent=201")) == ["h1"]
    assert rows(await page(api, "/calls?has_recording=true")) == ["1700000020.1", "1700000010.1", "1700000000.1"]
    day = DAY.date().isoformat()
    assert rows(await page(api, f"/calls?from={day}&to={day}")) == ["h4", "h3", "h2", "h1"]
    text = await page(api, "/calls?did=nope", 400)
    assert "Numéro composé" in text and 'value="nope"' in text and rows(text) == []
    assert "« Du »" in await page(api, "/calls?from=31/01/2026", 400)
    assert "« colour »" in await page(api, "/calls?colour=red", 400)
    # The CSV link exports the same filter through the API.
    link = re.search(r'id="csv-export" href="([^"]+)"', await page(api, "/calls?disposition=voicemail")).group(1)
    resp = await api.client.get(link.replace("&amp;", "&"))
    assert resp.status == 200 and resp.content_type == "text/csv" and "h4" in await resp.text()


async def test_keyset_pages_follow_one_another(api: Api):
    def more(db) -> None:
        for i in range(30):
            calls.save_call(db, CallRecord(linkedid=f"p{i:02d}", client_code="2000",
                                           started_at=iso(DAY.replace(hour=3) + timedelta(minutes=i)),
                                           disposition="answered"))

    await api.store.write(more)
    await login(api, "bob")
    first = await page(api, "/calls")
    next_url = re.search(r'id="next-page" rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = await page(api, next_url)
    assert len(rows(first)) == 25 and len(rows(second)) == 6 and not set(rows(first)) & set(rows(second))
    assert 'id="next-page"' not in second and 'id="first-page"' in second


async def test_the_detail_shows_the_timeline_and_the_ivr_path(api: Api):
    await api.store.write(seed_history)
    await login(api, "alice")
    text = await page(api, "/calls/h1")
    assert re.findall(r'<li data-kind="([^"]+)"', text) == ["start", "queue"]
    assert "queue=1000-accueil" in text and "choice 1 -&gt; reception" in text and "Jeanne" in text


async def test_roles_see_their_pages(make_api):
    api = await make_api()
    await login(api, SUPERVISOR[0])
    nav = await page(api, "/calls")
    assert 'href="/live"' in nav and 'href="/admin/clients"' not in nav
    assert rows(nav) == ["1800000000.1", "1700000020.1", "1700000010.1", "1700000000.1"]
    assert rows(await page(api, "/calls?client=2000")) == ["1800000000.1"]
    await page(api, "/live")


async def test_logout_needs_the_csrf_token(api: Api):
    csrf = await login(api, "alice")
    resp = await api.client.post("/logout", data={"csrf_token": "wrong"}, allow_redirects=False)
    assert resp.status == 403
    await page(api, "/calls")
    resp = await api.client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login?logged_out=1"
    assert (await api.client.get("/calls", allow_redirects=False)).status == 303
    assert "Vous êtes déconnecté" in await page(api, "/login?logged_out=1")


async def test_the_language_follows_the_choice_then_the_browser(api: Api):
    assert '<html lang="fr">' in await page(api, "/login")
    english = await page(api, "/login", headers={"Accept-Language": "de-CH, en-GB;q=0.8, fr;q=0.5"})
    assert '<html lang="en">' in english and "Log in" in english
    resp = await api.client.get("/language?lang=fr&next=/login", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login"
    assert "SameSite=Lax" in resp.headers["Set-Cookie"]
    assert '<html lang="fr">' in await page(api, "/login", headers={"Accept-Language": "en"})
    resp = await api.client.get("/language?lang=xx&next=//evil.example", allow_redirects=False)
    assert resp.headers["Location"] == "/calls" and "Set-Cookie" not in resp.headers
    assert i18n._accepted("en;q=0, fr-CA") == ["fr"]


async def test_static_files_and_nothing_else(api: Api):
    resp = await api.client.get("/static/live.js")
    assert resp.status == 200 and resp.content_type == "text/javascript"
    for name in ("..%2Fapp.py", ".hidden.js", "portal.py", "nothing.css"):
        assert (await api.client.get(f"/static/{name}")).status == 404, name


def test_the_catalogue_has_both_languages_and_every_key_the_templates_use():
    formatter = string.Formatter()
    for key, (fr, en) in MESSAGES.items():
        assert fr and en, key
        assert {f for _, f, _, _ in formatter.parse(fr) if f} == {f for _, f, _, _ in formatter.parse(en) if f}, key
    used: set[str] = set()
    for template in Path(TEMPLATES_DIR).glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", template.read_text()))
    for module in Path(TEMPLATES_DIR).parent.joinpath("pages").glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", module.read_text()))
    prefixes = {key for key in used if key.endswith("_")}  # t("admin.role_" ~ role): built from data, below
    assert used - prefixes - MESSAGES.keys() == set()
    assert prefixes == {"admin.role_", "admin.report_"}
    # Keys the templates and the wallboard build from data.
    built = {f"disposition.{d}" for d in calls.DISPOSITIONS} | {f"side.{s}" for s in HANGUP_SIDES}
    built |= {f"agent.{s}" for s in ("ready", "on_call", "wrap_up", "not_ready")}
    built |= {f"callstate.{s}" for s in ("ringing", "ivr", "queued", "talking")} | set(LABEL_KEYS)
    built |= {*directory.WEEKDAY_KEYS, *directory.ROTATION_KEYS.values(), *directory.KIND_KEYS.values(),
              *admin_directory.PERIOD_KEYS.values()}
    built |= {f"admin.role_{role}" for role in users.ROLES} | set(calls_page.MESSAGE_STATUS_KEYS.values())
    built |= {f"admin.report_{name}" for name in report_json(Report(True)).keys()}
    assert built - MESSAGES.keys() == set()


async def test_the_wait_distribution_counts_each_wait_once(api: Api):
    await api.store.write(seed_history)
    query = StatsQuery(DAY.replace(hour=0), DAY.replace(hour=23), "UTC")
    buckets = await api.store.read(lambda db: wait_distribution(db, Scope.client("1000"), query))
    assert [b["from_s"] for b in buckets] == [0, *WAIT_BUCKETS_S] and buckets[-1]["to_s"] is None
    assert {b["from_s"]: b["calls"] for b in buckets if b["calls"]} == {10: 1, 30: 1}  # 12 s and 40 s
    assert sum(b["calls"] for b in await api.store.read(
        lambda db: wait_distribution(db, Scope.client("2000"), query))) == 0


async def test_the_admin_pages_are_for_admins_only(make_api):
    api = await make_api()
    await api.store.write(lambda db: (menus.apply_menu(db, "accueil", "1000", "accueil.yaml", "v1: <b>"),
                                      menus.apply_menu(db, "accueil", "1000", "accueil.yaml", "v2")))
    for who in ("alice", SUPERVISOR[0]):
        await login(api, who)
        for path in ("/admin/clients", "/admin/dids", "/admin/menus", "/admin/menus/accueil", "/admin/users",
                     "/admin/agents", "/admin/queues", "/admin/asterisk"):
            assert "Page introuvable" in await page(api, path, 404), (who, path)
    await login(api, "root")
    assert re.findall(r'<tr data-code="(\d+)"', await page(api, "/admin/clients")) == ["1000", "2000"]
    assert 'data-menu="accueil"' in await page(api, "/admin/menus")
    text = await page(api, "/admin/menus/accueil")
    assert '<dd id="active-version">2</dd>' in text and text.count("<tr") == 3
    await api.store.write(lambda db: menus.rollback_menu(db, "accueil"))
    assert "v1: &lt;b&gt;" in await page(api, "/admin/menus/accueil")  # escaped
    await page(api, "/admin/menus/nothing", 404)
    users_page = await page(api, "/admin/users")
    assert re.findall(r'<tr data-login="([^"]+)" data-role="([a-z]+)"', users_page) == [
        ("alice", "client"), ("bob", "client"), ("root", "admin"), ("sup", "supervisor")]
    assert 'data-method="PUT" data-action="/api/admin/users/alice/password"' in users_page
    assert 'data-method="DELETE" data-action="/api/admin/users/sup"' in users_page
    await api.store.write(lambda db: (agents.add_agent(db, "201", "Marie & Luc", "secret-201-x", "permanence"),
                                      agents.add_member(db, "1000-accueil", "201", 5)))
    agents_page = await page(api, "/admin/agents")
    assert '<tr data-agent="201">' in agents_page and "Marie &amp; Luc" in agents_page
    assert '<li data-queue="1000-accueil">' in agents_page
    assert 'data-method="PUT" data-action="/api/admin/agents/201/queues/{queue}"' in agents_page
    assert 'data-action="/api/admin/agents/201/queues/1000-accueil"' in agents_page
    asterisk_page = await page(api, "/admin/asterisk")
    assert 'data-action="/api/admin/asterisk/reload"' in asterisk_page and 'data-show="result"' in asterisk_page
    assert 'id="asterisk-off"' in asterisk_page  # this app has no Asterisk to administer


async def test_the_login_form_without_javascript_answers_pages(make_api):
    api = await make_api(SecuritySettings(failures_per_account=2))
    form = {"login": "alice", "password": "wrong-password", "next": "/stats"}
    resp = await api.client.post("/login", data=form, allow_redirects=False)
    text = await resp.text()
    assert resp.status == 401 and resp.content_type == "text/html"
    assert resp.headers["Content-Security-Policy"] == PAGE_CSP
    assert '<p id="login-error" class="error" role="alert">Identifiant ou mot de passe incorrect.</p>' in text
    assert 'name="login" value="alice"' in text and 'name="next" value="/stats"' in text and '{"error"' not in text
    resp = await api.client.post("/login", data={**form, "login": "", "password": ""}, allow_redirects=False)
    assert resp.status == 401 and "incorrect" in await resp.text()
    # A cross-site post is refused before the password is looked at, on the page too.
    resp = await api.client.post("/login", data={**form, "password": PASSWORDS["alice"]}, allow_redirects=False,
                                 headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status == 403 and "(erreur 403)" in await resp.text() and "Set-Cookie" not in resp.headers
    # The limit holds (two failures for alice): the page says when to try again, with Retry-After.
    await api.client.post("/login", data=form, allow_redirects=False)
    resp = await api.client.post("/login", data={**form, "password": PASSWORDS["alice"]}, allow_redirects=False)
    seconds = resp.headers["Retry-After"]
    assert resp.status == 429 and f"Réessayez dans {seconds} s." in await resp.text()

    # Right password: a fresh session (whatever cookie came) and a 303 to `next`, never off the site.
    api.client.session.cookie_jar.update_cookies({COOKIE: "planted-session-id"})
    resp = await api.client.post("/login", data={"login": "bob", "password": PASSWORDS["bob"],
                                                 "next": "https://evil.example/"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/calls"
    assert "HttpOnly" in resp.headers["Set-Cookie"] and "planted-session-id" not in resp.headers["Set-Cookie"]
    assert rows(await page(api, "/calls")) == ["1800000000.1"]  # bob's own calls: logged in


async def test_the_did_filter_reads_national_numbers_in_the_configured_region(make_api):
    api = await make_api(admin=AdminSettings(default_region="FR"))
    await api.store.write(lambda db: calls.save_call(db, CallRecord(
        linkedid="fr1", client_code="1000", did="+33123456789", started_at=iso(DAY), disposition="answered")))
    headers = {"Authorization": f"Bearer {await api.token('root')}"}
    resp = await api.client.get("/api/calls", params={"did": "01 23 45 67 89"}, headers=headers)
    assert resp.status == 200 and [c["linkedid"] for c in (await resp.json())["calls"]] == ["fr1"]
    await login(api, "root")
    assert rows(await page(api, "/calls?did=01+23+45+67+89")) == ["fr1"]
    # The default region reads the same digits as a North American number: none of these calls.
    other = await make_api()
    await other.store.write(lambda db: calls.save_call(db, CallRecord(
        linkedid="fr1", client_code="1000", did="+33123456789", started_at=iso(DAY), disposition="answered")))
    resp = await other.client.get("/api/calls", params={"did": "01 23 45 67 89"},
                                  headers={"Authorization": f"Bearer {await other.token('root')}"})
    assert resp.status in (200, 400) and "fr1" not in await resp.text()
