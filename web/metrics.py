"""`GET /metrics` in Prometheus' text format, and the HTTP request latency the middleware measures.

The registry is the application's own (made in the wiring, never a module-level default), so two apps
in one process — tests — never share a series. Access: a scrape token from the configuration
(`[web] metrics_token`, presented as `Authorization: Bearer …`); without one configured /metrics is
off (404). A dedicated token rather than a user's: a scraper holds a credential that opens nothing
else, and rotating it touches no account.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest

from store import Store

from .collectors import CallsCollector

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route label of a request no route took (404, 405): never the raw path
CANCELLED = "499"  # the status label of a request whose client went away first (nginx's convention)


class Metrics:
    """The registry, the HTTP histogram, the scrape token and what must be read before each scrape."""

    def __init__(self, registry: CollectorRegistry, token: str = "") -> None:
        self.registry = registry
        self.token = token
        self.http = Histogram("permanence_http_request_duration_seconds",
                              "HTTP requests until the handler returned, by method, route template and status",
                              ["method", "route", "status"], registry=registry)
        self._before_scrape: list[Callable[[], Awaitable[None]]] = []
        self._http_children: dict[tuple[str, str, str], Any] = {}  # labels() costs more than observe()

    def observe_http(self, method: str, route: str, status: str, seconds: float) -> None:
        key = (method, route, status)  # bounded: known methods × route templates × statuses
        child = self._http_children.get(key)
        if child is None:
            child = self._http_children[key] = self.http.labels(method, route, status)
        child.observe(seconds)

    def before_scrape(self, refresh: Callable[[], Awaitable[None]]) -> None:
        """An async read (the store's counts) awaited before each exposition."""
        self._before_scrape.append(refresh)

    async def exposition(self) -> bytes:
        await asyncio.gather(*(refresh() for refresh in self._before_scrape))
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)


def install(app: web.Application, store: Store, registry: CollectorRegistry | None, token: str) -> Metrics:
    """The app's metrics: HTTP (the middleware below), the store's calls, and whatever the wiring put in
    the registry (FastAGI, AMI, the process). Without a registry the app makes its own."""
    metrics = Metrics(registry if registry is not None else CollectorRegistry(), token)
    stored_calls = CallsCollector(store)
    metrics.registry.register(stored_calls)
    metrics.before_scrape(stored_calls.refresh)
    app[METRICS] = metrics
    return metrics


def route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def http_metrics(request: web.Request, handler):
    started = time.perf_counter()
    status = "500"
    try:
        response = await handler(request)
        status = str(response.status)
        return response
    except web.HTTPException as exc:
        status = str(exc.status)
        raise
    except asyncio.CancelledError:
        status = CANCELLED
        raise
    finally:
        method = request.method if request.method in METHODS else "OTHER"
        request.app[METRICS].observe_http(method, route_label(request), status, time.perf_counter() - started)


def _refused(status: type[web.HTTPException], message: str, **headers: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json", headers=headers)


async def metrics_endpoint(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    if not metrics.token:
        raise _refused(web.HTTPNotFound, "metrics are off: no [web] metrics_token is configured")
    header = request.headers.get("Authorization", "")
    presented = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not hmac.compare_digest(presented.encode(errors="replace"), metrics.token.encode()):
        raise _refused(web.HTTPUnauthorized, "the metrics token is required",
                       **{"WWW-Authenticate": 'Bearer realm="permanence-metrics"'})
    body = await metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


OPENAPI_PATHS: dict = {
    "/metrics": {
        "get": {
            "operationId": "getMetrics",
            "tags": ["operations"],
            "summary": "Prometheus metrics (text exposition format)",
            "description": "HTTP latency by route template, FastAGI sessions, the AMI connection and its "
                           "event lag, calls in the store by disposition, the process. Needs the scrape "
                           "token of `[web] metrics_token`; answers 404 while none is configured.",
            "security": [{"metricsToken": []}],
            "responses": {
                "200": {"description": "The metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
                "401": {"$ref": "#/components/responses/Unauthorized"},
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        },
    },
}
