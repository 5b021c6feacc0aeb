"""Admin API: Asterisk's configuration — check it, and reload it into the running Asterisk (dialplan.deploy).

check renders everything from the store and the configuration into a scratch directory and reads it as
Asterisk would: 200 with `ok` and the errors found. reload does the same first, then writes the changed
includes into the live directory and has Asterisk reload them on an AMI action connection; if Asterisk
refuses or does not show what was written, the previous files are put back and reloaded (`restored`).
"""

from __future__ import annotations

from aiohttp import web

from dialplan.deploy import Report

from ..auth import require_role
from . import doc
from .body import error
from .settings import SETTINGS, AsteriskAdmin

# A failed reload's status by where it failed.
_STATUS = {"render": web.HTTPUnprocessableEntity, "check": web.HTTPUnprocessableEntity,
           "unavailable": web.HTTPServiceUnavailable, "asterisk": web.HTTPBadGateway}
_MESSAGES = {"render": "the configuration cannot be rendered from the data",
             "check": "the rendered configuration has errors; nothing was changed",
             "unavailable": "Asterisk cannot be reached for a reload; nothing was changed",
             "asterisk": "Asterisk refused the new configuration; the previous one is back"}


def report_json(report: Report) -> dict:
    return {"ok": report.ok, "errors": list(report.errors), "changed": list(report.changed),
            "reloaded": list(report.reloaded), "restart_needed": list(report.restart_needed),
            "restored": report.restored}


def _admin(request: web.Request) -> AsteriskAdmin:
    require_role(request, "admin")
    asterisk = request.app[SETTINGS].asterisk
    if asterisk is None:
        raise error(web.HTTPServiceUnavailable, "Asterisk administration is not configured here")
    return asterisk


async def check(request: web.Request) -> web.Response:
    report = await _admin(request).check()
    return web.json_response(report_json(report))


async def reload(request: web.Request) -> web.Response:
    report = await _admin(request).reload()
    if not report.ok:
        raise error(_STATUS[report.stage], _MESSAGES[report.stage], **report_json(report))
    return web.json_response(report_json(report))


_REPORT = {"type": "object", "required": ["ok", "errors", "changed", "reloaded", "restart_needed", "restored"],
           "properties": {
               "ok": {"type": "boolean"},
               "errors": {"type": "array", "items": {"type": "string"},
                          "description": "file:line: message for the check; module: message from Asterisk"},
               "changed": {"type": "array", "items": {"type": "string"},
                           "description": "generated files whose text differs from the live ones"},
               "reloaded": {"type": "array", "items": {"type": "string"}, "description": "modules reloaded"},
               "restart_needed": {"type": "array", "items": {"type": "string"},
                                  "description": "changed files only a restart of Asterisk applies "
                                                 "(ports, transports, manager users)"},
               "restored": {"type": "boolean", "description": "the previous files were put back and reloaded"}}}
_FAILED = {"description": "", "content": {"application/json": {"schema": {"allOf": [
    doc.ref("AdminError"), doc.ref("AsteriskReport")]}}}}
OPENAPI_SCHEMAS: dict = {"AsteriskReport": _REPORT}
OPENAPI_PATHS: dict = {
    "/api/admin/asterisk/check": {"post": doc.operation(
        "adminAsteriskCheck", "Render the whole Asterisk configuration and check it; nothing changes", {
            **doc.ok("The check's findings (`ok` false: see `errors`); `changed`: what a reload would write",
                     doc.ref("AsteriskReport")),
            **doc.errors("403", "404"), "503": {**_FAILED, "description": "not configured here"}})},
    "/api/admin/asterisk/reload": {"post": doc.operation(
        "adminAsteriskReload", "Check, write the changed includes and have Asterisk reload them", {
            **doc.ok("Reloaded (or nothing had changed)", doc.ref("AsteriskReport")),
            **doc.errors("403", "404"),
            "422": {**_FAILED, "description": "the configuration cannot be rendered or has errors: nothing changed"},
            "502": {**_FAILED, "description": "Asterisk refused it, or did not show what was written: the previous "
                                              "files are back and reloaded (`restored`)"},
            "503": {**_FAILED, "description": "reload not configured, or Asterisk unreachable: nothing changed"}},
        description="One reload at a time. Dialplan (pbx_config), queues (app_queue) and SIP endpoints "
                    "(res_pjsip) reload; `restart_needed` lists what waits for a restart.")},
}
