"""The JSON access log (one line per request, through aiohttp's access-log hook as `serve` wires it) and
the X-Request-Id every response carries."""

from __future__ import annotations

import json
import logging
import re

import pytest

from ami.live import LiveState
from web.access import ACCESS_LOGGER, access_logger
from web.security import SecuritySettings

from .ops import RECORDED_CALL, RECORDING, serving

FIELDS = {"time", "request_id", "method", "path", "route", "status", "bytes", "duration_ms", "remote", "user",
          "user_agent"}
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def lines(caplog):
    """The access lines written so far, parsed (each must be one JSON object with every field)."""
    logger = logging.getLogger("tests.access")
    caplog.set_level(logging.INFO, logger=logger.name)

    def parsed() -> list[dict]:
        records = [json.loads(r.getMessage()) for r in caplog.records if r.name == logger.name]
        for record in records:
            assert set(record) == FIELDS, record
        return records

    parsed.logger = logger  # type: ignore[attr-defined]
    return parsed


async def test_one_json_line_per_request_with_the_user_route_and_request_id(tmp_path, lines):
    async with serving(tmp_path, access_log=lines.logger) as ops:
        token = await ops.token("alice")
        resp = await ops.client.get(f"/api/calls/{RECORDED_CALL}?x=secret-filter",
                                    headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-42.a",
                                             "User-Agent": "pytest"})
        body = await resp.read()
        assert resp.status == 200 and resp.headers["X-Request-Id"] == "req-42.a"
    login, get = lines()
    assert login["path"] == "/api/login" and login["user"] is None and login["status"] == 200
    assert GENERATED.fullmatch(login["request_id"])
    assert get["request_id"] == "req-42.a"
    assert (get["method"], get["path"], get["route"], get["status"]) == (
        "GET", f"/api/calls/{RECORDED_CALL}", "/api/calls/{linkedid}", 200)
    assert get["user"] == "alice" and get["remote"] == "127.0.0.1" and get["user_agent"] == "pytest"
    assert get["bytes"] == len(body) and get["duration_ms"] >= 0
    assert get["time"].endswith("Z")
    assert "secret-filter" not in json.dumps(get)  # no query strings in the log


async def test_errors_and_unrouted_paths_are_logged_and_carry_the_id(tmp_path, lines):
    async with serving(tmp_path, access_log=lines.logger) as ops:
        unauthorized = await ops.client.get("/api/calls", headers={"X-Request-Id": "bad id with spaces"})
        missing = await ops.client.get("/nowhere", headers={"X-Request-Id": "x" * 129})
        for resp in (unauthorized, missing):
            assert GENERATED.fullmatch(resp.headers["X-Request-Id"])  # a new id, not the one offered
    first, second = lines()
    assert (first["status"], first["route"], first["user"]) == (401, "/api/calls", None)
    assert first["request_id"] == unauthorized.headers["X-Request-Id"]
    assert (second["status"], second["route"], second["path"]) == (404, None, "/nowhere")
    assert second["request_id"] == missing.headers["X-Request-Id"]


async def test_a_streamed_file_counts_its_bytes(tmp_path, lines):
    async with serving(tmp_path, access_log=lines.logger) as ops:
        token = await ops.token("root")
        resp = await ops.client.get("/api/recordings/1", headers={"Authorization": f"Bearer {token}",
                                                                  "X-Request-Id": "rec-1"})
        body = await resp.read()
        assert resp.status == 200 and resp.headers["X-Request-Id"] == "rec-1"
    record = lines()[-1]
    assert body and record["bytes"] == len(body) == (tmp_path / "recordings" / RECORDING).stat().st_size
    assert record["user"] == "root"


async def test_behind_a_trusted_proxy_the_client_address_is_logged(tmp_path, lines):
    settings = SecuritySettings(trusted_proxies=("127.0.0.1",))
    async with serving(tmp_path, access_log=lines.logger, security_settings=settings) as ops:
        await ops.client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert lines()[-1]["remote"] == "203.0.113.7"


def test_the_access_logger_writes_bare_json_lines_once(capsys):
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (logger.handlers[:], logger.propagate, logger.level)
    logger.handlers.clear()
    try:
        assert access_logger() is access_logger() is logger
        assert len(logger.handlers) == 1 and not logger.propagate
        logger.info(json.dumps({"status": 200}))
        assert capsys.readouterr().out == '{"status": 200}\n'
    finally:
        logger.handlers[:], logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


async def test_an_event_stream_carries_the_request_id(tmp_path):
    async with serving(tmp_path, live=LiveState()) as ops:
        token = await ops.token("root")
        resp = await ops.client.get("/api/live", headers={"Authorization": f"Bearer {token}",
                                                          "X-Request-Id": "live-1"})
        assert resp.status == 200 and resp.headers["X-Request-Id"] == "live-1"
        assert (await resp.content.readline()).startswith(b"id: ")
        resp.close()


async def test_a_confirmation_links_token_stays_out_of_the_log(tmp_path, lines):
    token = "k" * 32
    async with serving(tmp_path, access_log=lines.logger) as ops:
        assert (await ops.client.get(f"/api/messages/confirm/{token}")).status == 404
        assert (await ops.client.post(f"/api/messages/confirm/{token}")).status == 404
    for line in lines():
        assert line["path"] == "/api/messages/confirm/{token}" and token not in json.dumps(line), line
