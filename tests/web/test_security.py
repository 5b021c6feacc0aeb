"""Every response carries the security headers (errors, 404s and streams included); oversized bodies
are 413 in JSON; the client behind a trusted proxy is the one seen."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from web.security import CONTENT_SECURITY_POLICY, MAX_BODY, SecuritySettings

from .conftest import PASSWORDS, Api


def assert_secure(resp, what: str) -> None:
    h = resp.headers
    assert h.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, what
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"] and "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert h.get("X-Frame-Options") == "DENY", what
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("Referrer-Policy") == "no-referrer", what


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("a fault")


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="<p>hi</p>", content_type="text/html",
                        headers={"Content-Security-Policy": "default-src 'none'"})


@pytest.fixture
async def api(make_api) -> Api:
    from ami.live import LiveState

    return await make_api(routes=[("GET", "/api/boom", _boom), ("GET", "/page", _page)], live=LiveState())


async def test_every_status_carries_the_security_headers(api: Api):
    token = await api.token("root")
    bearer = {"Authorization": f"Bearer {token}"}
    call = (await (await api.client.get("/api/calls", headers=bearer)).json())["calls"][-1]
    cases = [
        ("GET", "/healthz", {}, None, 200),
        ("GET", "/api/calls", bearer, None, 200),
        ("GET", f"/api/recordings/{call['recordings'][0]['id']}", {**bearer, "Range": "bytes=0-9"}, None, 206),
        ("GET", "/api/calls", {}, None, 401),
        ("POST", "/api/login", {}, {"login": "root", "password": "wrong"}, 401),
        ("POST", "/api/login", {}, None, 400),
        ("GET", "/api/calls/nope", bearer, None, 404),
        ("GET", "/nowhere", {}, None, 404),
        ("GET", "/api/login", bearer, None, 405),
        ("GET", "/api/boom", bearer, None, 500),
    ]
    for method, path, headers, body, status in cases:
        resp = await api.client.request(method, path, headers=headers, json=body)
        assert resp.status == status, (path, await resp.text())
        assert_secure(resp, f"{method} {path} {status}")
        if path.startswith("/api/"):
            assert "no-store" in resp.headers["Cache-Control"], path
    resp = await api.client.get("/api/boom", headers=bearer)
    assert await resp.json() == {"error": "internal error"}  # the fault is logged, never shown


async def test_403_413_and_429_carry_them_too(make_api):
    api = await make_api(SecuritySettings(failures_per_account=1))
    resp = await api.client.post("/api/login", data=b"x" * (MAX_BODY + 1), headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert_secure(resp, "413")
    await api.client.post("/api/login", json={"login": "alice", "password": "guess"})
    resp = await api.client.post("/api/login", json={"login": "alice", "password": PASSWORDS["alice"]})
    assert resp.status == 429
    assert_secure(resp, "429")
    resp = await api.client.post("/api/session", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert resp.status == 403
    assert_secure(resp, "403")


async def test_a_stream_carries_them(api: Api):
    resp = await api.client.get("/api/live", headers={"Authorization": f"Bearer {await api.token('root')}"})
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    assert_secure(resp, "Server-Sent Events")
    resp.close()


async def test_a_page_may_set_its_own_policy(api: Api):
    resp = await api.client.get("/page")
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
    assert resp.headers["X-Frame-Options"] == "DENY" and "Cache-Control" not in resp.headers


async def test_an_oversized_body_is_413_in_json_before_it_is_read(api: Api):
    for path in ("/api/login", "/api/session", "/api/logout", "/api/calls"):
        resp = await api.client.post(path, data=b"{" * (MAX_BODY + 1), headers={"Content-Type": "application/json"})
        assert resp.status == 413, path
        assert await resp.json() == {"error": f"request body too large: at most {MAX_BODY} bytes"}
    resp = await api.client.post("/api/login", json={"login": "alice", "password": "p" * (MAX_BODY - 100)})
    assert resp.status == 401  # just under the limit: read, and refused for what it says


async def test_an_oversized_body_without_a_length_is_413_in_json_when_read(api: Api):
    async def chunks():
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"{" * 1024
            await asyncio.sleep(0)

    resp = await api.client.post("/api/login", data=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert json.loads(await resp.text()) == {"error": f"request body too large: at most {MAX_BODY} bytes"}


async def _address(api: Api, **headers: str) -> str:
    resp = await api.client.post("/api/session", json={"login": "alice", "password": PASSWORDS["alice"]},
                                 headers=headers)
    assert resp.status == 200
    api.client.session.cookie_jar.clear()
    rows = await api.store.read(lambda db: list(db.query("SELECT address FROM sessions ORDER BY created_at")))
    return rows[-1]["address"]


async def test_the_client_behind_a_trusted_proxy(make_api):
    proxied = await make_api(SecuritySettings(trusted_proxies=("127.0.0.0/8", "10.9.0.0/16")))
    assert await _address(proxied, **{"X-Forwarded-For": "203.0.113.5"}) == "203.0.113.5"
    # What the client wrote on the left proves nothing: the rightmost untrusted hop is the client.
    assert await _address(proxied, **{"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.9.0.3"}) == "203.0.113.7"
    assert await _address(proxied, **{"X-Forwarded-For": "garbage"}) == "127.0.0.1"
    direct = await make_api()  # no trusted proxy: the header is the client's word, ignored
    assert await _address(direct, **{"X-Forwarded-For": "203.0.113.5"}) == "127.0.0.1"
    resp = await direct.client.post("/api/session", json={"login": "alice", "password": PASSWORDS["alice"]},
                                    headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in resp.headers["Set-Cookie"]
