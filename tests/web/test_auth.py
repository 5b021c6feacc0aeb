"""Who is calling: browser sessions (cookie attributes, CSRF, fixation, expiry, logout), bearer tokens,
roles (supervisors read every client, change nothing)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from aiohttp import web

from store import Scope, User, users
from store.clock import iso, parse_iso
from web.auth import require_role, scope_of
from web.security import SecuritySettings
from web.sessions import COOKIE, SessionPolicy

from .conftest import PASSWORDS, SUPERVISOR, Api

ALL = {**PASSWORDS, SUPERVISOR[0]: SUPERVISOR[1]}


async def browser_login(api: Api, login: str, cookie: str | None = None) -> tuple[str, dict]:
    """Log in through POST /api/session: the new session id and the JSON body. The client's cookie jar
    is emptied so that every later request says exactly which cookie it carries."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    resp = await api.client.post("/api/session", json={"login": login, "password": ALL[login]}, headers=headers)
    assert resp.status == 200, await resp.text()
    session_id = resp.cookies[COOKIE].value
    api.client.session.cookie_jar.clear()
    return session_id, await resp.json()


async def bearer(api: Api, login: str) -> dict[str, str]:
    resp = await api.client.post("/api/login", json={"login": login, "password": ALL[login]})
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


def with_cookie(session_id: str, **headers: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={session_id}", **headers}


async def test_browser_login_sets_an_httponly_strict_session_cookie(make_api):
    api = await make_api()
    resp = await api.client.post("/api/session", json={"login": "alice", "password": PASSWORDS["alice"]})
    assert resp.status == 200
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path"} <= attributes and "SameSite=Strict" in cookie
    assert "secure" not in attributes  # plain http here; see the https test
    assert "max-age" not in attributes and "expires" not in attributes  # ends with the browser
    body = await resp.json()
    assert body["login"] == "alice" and body["auth"] == "session" and len(body["csrf_token"]) > 30
    session_id = resp.cookies[COOKIE].value
    # The store has the id's hash, never the id.
    rows = await api.store.read(lambda db: list(db.query("SELECT session_hash, login FROM sessions")))
    assert rows == [{"session_hash": hashlib.sha256(session_id.encode()).hexdigest(), "login": "alice"}]
    # The cookie alone authenticates reads, and GET /api/session gives the page its CSRF token.
    api.client.session.cookie_jar.clear()
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 200
    me = await (await api.client.get("/api/session", headers=with_cookie(session_id))).json()
    assert me["csrf_token"] == body["csrf_token"] and me["role"] == "client" and me["client_code"] == "1000"


async def test_the_cookie_is_secure_over_https(make_api):
    api = await make_api(SecuritySettings(trusted_proxies=("127.0.0.1",)))
    resp = await api.client.post("/api/session", json={"login": "alice", "password": PASSWORDS["alice"]},
                                 headers={"X-Forwarded-Proto": "https"})
    assert resp.status == 200
    assert "Secure" in resp.headers["Set-Cookie"]


async def test_a_form_logs_in_and_goes_to_a_local_page_only(make_api):
    api = await make_api()
    form = {"login": "alice", "password": PASSWORDS["alice"], "next": "/calls?x=1"}
    resp = await api.client.post("/api/session", data=form, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/calls?x=1" and COOKIE in resp.cookies
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "calls"):
        resp = await api.client.post("/api/session", data={**form, "next": target}, allow_redirects=False)
        assert resp.status == 200 and "Location" not in resp.headers, target


async def test_a_cross_site_login_is_refused(make_api):
    api = await make_api()
    resp = await api.client.post("/api/session", json={"login": "alice", "password": PASSWORDS["alice"]},
                                 headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status == 403 and (await resp.json())["error"] == "cross-site login refused"
    assert "Set-Cookie" not in resp.headers


async def test_cookie_state_changes_need_the_sessions_csrf_token(make_api):
    api = await make_api()
    session_id, body = await browser_login(api, "alice")
    _, other = await browser_login(api, "bob")
    cases = [
        ({}, "CSRF token missing"),
        ({"X-CSRF-Token": ""}, "CSRF token missing"),
        ({"X-CSRF-Token": "x" * 43}, "CSRF token does not match this session"),
        ({"X-CSRF-Token": other["csrf_token"]}, "CSRF token does not match this session"),  # another session's
        ({"X-CSRF-Token": "é"}, "CSRF token does not match this session"),
    ]
    for extra, error in cases:
        resp = await api.client.post("/api/logout", headers=with_cookie(session_id, **extra))
        assert resp.status == 403, extra
        assert (await resp.json())["error"].startswith(error), extra
    for method in ("PUT", "PATCH", "DELETE"):  # every unsafe method is checked, even on a route without it
        resp = await api.client.request(method, "/api/logout", headers=with_cookie(session_id))
        assert resp.status == 403, method
    # A wrong form field is refused too; the session is still alive after all these.
    resp = await api.client.post("/api/logout", data={"csrf_token": "nope"}, headers=with_cookie(session_id))
    assert resp.status == 403
    assert (await api.client.get("/api/session", headers=with_cookie(session_id))).status == 200
    # The right token, as a form field: logged out, the cookie is cleared, the session is gone.
    resp = await api.client.post("/api/logout", data={"csrf_token": body["csrf_token"]},
                                 headers=with_cookie(session_id))
    assert resp.status == 204
    assert f"{COOKIE}=\"\"" in resp.headers["Set-Cookie"] or f"{COOKIE}=;" in resp.headers["Set-Cookie"]
    assert (await api.client.get("/api/session", headers=with_cookie(session_id))).status == 401
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 401


async def test_logout_with_the_csrf_header(make_api):
    api = await make_api()
    session_id, body = await browser_login(api, "alice")
    resp = await api.client.post("/api/logout", headers=with_cookie(session_id, **{"X-CSRF-Token": body["csrf_token"]}))
    assert resp.status == 204
    assert await api.store.read(lambda db: db.execute("SELECT count(*) FROM sessions").fetchone()[0]) == 0


async def test_bearer_requests_need_no_csrf_token_and_logout_revokes_the_token(make_api):
    api = await make_api()
    token = await api.token("alice")
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await api.client.post("/api/logout", headers=bearer)).status == 204
    assert (await api.client.get("/api/calls", headers=bearer)).status == 401
    assert await api.store.read(lambda db: db.execute("SELECT count(*) FROM tokens").fetchone()[0]) == 0


async def test_a_bad_bearer_header_never_falls_back_to_the_cookie(make_api):
    api = await make_api()
    session_id, _ = await browser_login(api, "alice")
    for header in ("Bearer forged", "Basic YWxpY2U6eA==", "Bearer "):
        resp = await api.client.get("/api/calls", headers=with_cookie(session_id, Authorization=header))
        assert resp.status == 401, header


async def test_every_login_makes_a_new_session_whatever_cookie_came_with_it(make_api):
    """Session fixation: an id planted in the browser before the login is worth nothing after it."""
    api = await make_api()
    # An id the attacker made up: ignored, a fresh one is given.
    fresh, _ = await browser_login(api, "alice", cookie="planted-by-the-attacker")
    assert fresh != "planted-by-the-attacker"
    assert (await api.client.get("/api/session", headers=with_cookie("planted-by-the-attacker"))).status == 401
    # The attacker's own live session planted in the victim's browser: the victim's login replaces it
    # (and ends it), so the attacker's id never becomes the victim's.
    attacker, _ = await browser_login(api, "bob")
    victim, body = await browser_login(api, "alice", cookie=attacker)
    assert victim != attacker
    assert (await api.client.get("/api/session", headers=with_cookie(attacker))).status == 401
    me = await (await api.client.get("/api/session", headers=with_cookie(victim))).json()
    assert me["login"] == "alice" and me["csrf_token"] == body["csrf_token"]
    # Two logins of the same user: two ids, two CSRF tokens.
    again, body2 = await browser_login(api, "alice")
    assert again != victim and body2["csrf_token"] != body["csrf_token"]


async def test_a_session_ends_when_idle_and_at_the_end_of_its_life(make_api):
    policy = SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    api = await make_api(SecuritySettings(sessions=policy))
    session_id, body = await browser_login(api, "alice")
    deadline = parse_iso(body["expires_at"])
    assert timedelta(minutes=29) < deadline - datetime.now(UTC) <= timedelta(minutes=30)

    async def set_row(**values: str) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        await api.store.write(lambda db: db.execute(f"UPDATE sessions SET {sets}", list(values.values())))

    # Used: the idle deadline moves forward (written behind the response).
    await set_row(expires_at=iso(datetime.now(UTC) + timedelta(minutes=5)))
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 200
    await api.store.flush()
    row = await api.store.read(lambda db: next(db.query("SELECT expires_at FROM sessions")))
    assert parse_iso(row["expires_at"]) > datetime.now(UTC) + timedelta(minutes=29)
    # Idle past its deadline: refused.
    await set_row(expires_at=iso(datetime.now(UTC) - timedelta(seconds=1)))
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 401
    # Recently used but started longer ago than its lifetime: refused all the same.
    session_id, _ = await browser_login(api, "alice")
    await set_row(created_at=iso(datetime.now(UTC) - timedelta(hours=12, seconds=1)))
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 401


async def test_the_idle_deadline_never_passes_the_sessions_life():
    policy = SessionPolicy(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.deadline(start, start) == start + timedelta(minutes=30)
    late = start + timedelta(hours=11, minutes=50)
    assert policy.deadline(start, late) == start + timedelta(hours=12)


async def test_a_new_password_or_removal_ends_sessions_and_tokens(make_api):
    api = await make_api()
    session_id, _ = await browser_login(api, "alice")
    bearer = {"Authorization": f"Bearer {await api.token('alice')}"}
    await api.store.write(lambda db: users.set_password(db, "alice", "scrypt$new"))
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 401
    assert (await api.client.get("/api/calls", headers=bearer)).status == 401
    session_id, _ = await browser_login(api, "bob")
    await api.store.write(lambda db: users.remove_user(db, "bob"))
    assert (await api.client.get("/api/calls", headers=with_cookie(session_id))).status == 401


async def test_supervisors_read_every_client_and_reach_no_admin_only_route(make_api):
    async def admin_only(request: web.Request) -> web.Response:
        require_role(request, "admin")
        return web.json_response({"ok": True})

    api = await make_api(routes=[("POST", "/api/admin-only", admin_only)])

    async def listed(login: str) -> list[str]:
        resp = await api.client.get("/api/calls", headers=await bearer(api, login))
        return sorted(c["linkedid"] for c in (await resp.json())["calls"])

    assert await listed("sup") == await listed("root")
    assert len(await listed("sup")) == 4 and len(await listed("alice")) == 3
    for login, status in (("root", 200), ("sup", 404), ("alice", 404)):
        resp = await api.client.post("/api/admin-only", headers=await bearer(api, login))
        assert resp.status == status, login
    assert (await api.client.post("/api/admin-only")).status == 401


async def test_supervisors_and_admins_see_the_live_view_clients_do_not(make_api):
    from ami.live import LiveState

    api = await make_api(live=LiveState())
    for login, status in (("sup", 200), ("root", 200), ("alice", 404)):
        resp = await api.client.get("/api/live", headers=await bearer(api, login))
        assert resp.status == status, login
        resp.close()


def test_scope_of_each_role():
    assert scope_of(User("r", "admin", None, "")) == Scope.everything()
    assert scope_of(User("s", "supervisor", None, "")) == Scope.everything()
    assert scope_of(User("a", "client", "1000", "")) == Scope.client("1000")
