"""/openapi.json: a valid OpenAPI 3.1 document that describes exactly the routes a fully built app has.

The walk over the router is what makes a forgotten OPENAPI_PATHS (or a module left out of
web.openapi.DOCUMENTED) fail here rather than ship undocumented."""

from __future__ import annotations

import types

import pytest
from openapi_spec_validator import validate

from ami.live import LiveState
from web import openapi
from web.security import SecuritySettings

from .ops import serving

IMPLICIT = {"HEAD", "OPTIONS"}  # aiohttp adds HEAD to every GET; neither is an operation of its own


@pytest.fixture
async def ops(tmp_path):
    async def up() -> bool:
        return True

    async with serving(tmp_path, live=LiveState(), health_checks={"ami": up, "agi": up},
                       security_settings=SecuritySettings(trusted_proxies=("127.0.0.1",))) as wired:
        yield wired


def routed(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        if route.method in IMPLICIT:
            continue
        assert route.method != "*", f"{route.resource.canonical}: a catch-all method cannot be documented"
        found.add((route.method, route.resource.canonical))
    return found


async def test_every_route_is_documented_and_every_documented_operation_is_routed(ops):
    doc = openapi.document()
    routes = routed(ops.client.app)
    documented = openapi.operations(doc)
    missing = sorted(routes - documented)
    assert not missing, f"routes missing from /openapi.json (add them to their module's OPENAPI_PATHS, and " \
                        f"the module to web.openapi.DOCUMENTED): {missing}"
    assert not documented - routes, f"documented but not routed: {sorted(documented - routes)}"


async def test_the_served_document_is_valid_openapi_3_1(ops):
    resp = await ops.client.get("/openapi.json")  # public: no credentials
    assert resp.status == 200 and resp.content_type == "application/json"
    doc = await resp.json()
    validate(doc)  # raises with the path of the first fault
    assert doc["openapi"] == "3.1.0" and doc["info"]["version"] == openapi.version() != "0+unknown"
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer" and schemes["cookieAuth"]["in"] == "cookie"
    assert doc["paths"]["/metrics"]["get"]["security"] == [{"metricsToken": []}]
    assert doc["paths"]["/healthz"]["get"]["security"] == []
    operation_ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()
                     if isinstance(op, dict) and "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))


def test_modules_merge_by_method_and_refuse_a_second_definition():
    one = types.ModuleType("one")
    one.OPENAPI_PATHS = {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}
    two = types.ModuleType("two")
    two.OPENAPI_PATHS = {"/x": {"post": {"responses": {"200": {"description": "ok"}}}}}
    two.OPENAPI_SCHEMAS = {"Thing": {"type": "object"}}
    doc = openapi.document((one, two))
    assert set(doc["paths"]["/x"]) == {"get", "post"} and "Thing" in doc["components"]["schemas"]
    again = types.ModuleType("again")
    again.OPENAPI_PATHS = {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}
    with pytest.raises(ValueError, match=r"again: /x field 'get' is already defined"):
        openapi.document((one, again))
    clash = types.ModuleType("clash")
    clash.OPENAPI_SCHEMAS = {"Error": {"type": "string"}}
    with pytest.raises(ValueError, match="schema 'Error'"):
        openapi.document((clash,))
