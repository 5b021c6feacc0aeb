"""`GET /static/{name}`: the portal's own style sheet and scripts (the page CSP allows only these).

A plain name of web/static/ with a known extension, nothing else: no directory walk, no dot files.
The browser revalidates (ETag and Last-Modified from aiohttp's FileResponse), so a new release shows.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from .render import html_operation

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"}
NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(css|js|svg)")


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    match = NAME.fullmatch(name)
    path = STATIC_DIR / name
    if match is None or not path.is_file():
        raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
    return web.FileResponse(path, headers={"Content-Type": TYPES[match.group(1)], "Cache-Control": "no-cache"})


_operation = html_operation("getStatic", "The portal's style sheet and scripts", public_page=True, parameters=(
    {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "pattern": NAME.pattern},
     "description": "a file of web/static/"},))
_operation["responses"] = {
    "200": {"description": "the file", "content": {t.split(";")[0]: {"schema": {"type": "string"}}
                                                   for t in TYPES.values()}},
    "304": {"description": "not modified (If-None-Match, If-Modified-Since)"},
    "404": {"$ref": "#/components/responses/NotFound"},
}
OPENAPI_PATHS: dict = {"/static/{name}": {"get": _operation}}
