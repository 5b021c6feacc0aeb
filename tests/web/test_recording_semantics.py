"""GET /api/recordings/{id} answers Range and conditional requests exactly as aiohttp's FileResponse does
(web.recordings opens the file on the event loop instead of in a thread): the same status, headers
and body for every combination tried, against a bare FileResponse of the same file."""

from __future__ import annotations

from email.utils import formatdate

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from .conftest import Api
from .history_data import with_history

COMPARED = ("Content-Length", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges")


async def test_range_and_conditional_answers_equal_a_bare_file_response(api: Api):
    who = await with_history(api)
    calls = (await (await api.client.get("/api/calls?has_recording=true", headers=who["alice"])).json())["calls"]
    rec = calls[0]["recordings"][0]["id"]
    path = next(api.recordings.rglob(f"{calls[0]['linkedid']}.wav"))
    size = path.stat().st_size
    bare = web.Application()

    async def file(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path)

    bare.router.add_get("/f", file)
    plain = TestClient(TestServer(bare))
    await plain.start_server()
    try:
        first = await plain.get("/f")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        past, future = formatdate(0, usegmt=True), formatdate(4102444800, usegmt=True)  # 1970, 2100
        trials: list[tuple[str, dict[str, str]]] = [("GET", {})]
        trials += [("GET", {"Range": r}) for r in (
            "bytes=0-99", "bytes=100-", "bytes=-100", f"bytes={size - 10}-{size + 500}", f"bytes={size}-",
            f"bytes={size + 10}-", "bytes=-0", "bytes=0-0", "bytes=5-2", "bytes=0-1,5-6", "pages=1-2", "bytes=x-y")]
        trials += [("GET", h) for h in (
            {"If-None-Match": etag}, {"If-None-Match": '"other"'}, {"If-None-Match": "*"},
            {"If-Match": etag}, {"If-Match": '"other"'}, {"If-Match": "*"},
            {"If-Modified-Since": modified}, {"If-Modified-Since": past},
            {"If-Unmodified-Since": past}, {"If-Unmodified-Since": future},
            {"If-Range": modified, "Range": "bytes=0-9"}, {"If-Range": past, "Range": "bytes=0-9"},
            {"If-None-Match": etag, "Range": "bytes=0-9"}, {"If-Match": '"other"', "Range": "bytes=0-9"})]
        trials += [("HEAD", {}), ("HEAD", {"Range": "bytes=0-9"}), ("HEAD", {"If-None-Match": etag})]
        for method, headers in trials:
            mine = await api.client.request(method, f"/api/recordings/{rec}", headers={**who["alice"], **headers})
            theirs = await plain.request(method, "/f", headers=headers)
            assert mine.status == theirs.status, (method, headers)
            for name in COMPARED:
                assert mine.headers.get(name) == theirs.headers.get(name), (method, headers, name)
            assert await mine.read() == await theirs.read(), (method, headers)
    finally:
        await plain.close()
