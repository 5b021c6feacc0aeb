"""/healthz: every registered check, public, 503 as soon as one fails."""

from __future__ import annotations

from .ops import serving


async def test_health_reports_each_check_and_fails_with_any(tmp_path):
    state = {"ami": True, "agi": True}

    async def ami() -> bool:
        return state["ami"]

    async def agi() -> bool:
        return state["agi"]

    async with serving(tmp_path, health_checks={"ami": ami, "agi": agi}) as ops:
        resp = await ops.client.get("/healthz")
        assert resp.status == 200
        assert await resp.json() == {"ok": True, "checks": {"store": True, "ami": True, "agi": True}}
        state["agi"] = False
        resp = await ops.client.get("/healthz")
        assert resp.status == 503
        assert await resp.json() == {"ok": False, "checks": {"store": True, "ami": True, "agi": False}}
        ops.store.close()  # the writer is gone: the store no longer takes writes
        state["agi"] = True
        body = await (await ops.client.get("/healthz")).json()
        assert body["checks"]["store"] is False and body["ok"] is False
