"""GET /api/sms/delivery: the delivery reports of dispatch SMS, from Kannel's smsbox (the dlr-url each
SMS was sent with: the shared token, the attempt's id, Kannel's report type and the SMS centre's answer).

A report goes to the attempt's history (store.sms_delivery); a rejection or a non-delivery ends the
attempt's step at once and wakes the dispatcher, so the next step starts without waiting for the
deadline. A report never confirms a message. smsbox does not read the answer: an empty 200 for a report
taken or for an unknown attempt (logged), so that it does not try again.
"""

from __future__ import annotations

import logging

from aiohttp import web

from store import sms_delivery
from store.clock import now_iso
from store.sms_delivery import ReportError

from .confirm import require_gateway_token
from .keys import STORE
from .messages import MESSAGING
from .query import bad_request

log = logging.getLogger(__name__)


async def sms_delivery_report(request: web.Request) -> web.Response:
    """GET /api/sms/delivery?token=&attempt=&status=&reply=: one delivery report of one SMS attempt."""
    require_gateway_token(request)
    try:
        report = sms_delivery.parse(request.query)
    except ReportError as exc:
        raise bad_request(str(exc), exc.parameter) from None
    done = await request.app[STORE].write(lambda db: sms_delivery.record(db, report, now_iso()))
    if done.result == "unknown":
        log.warning("sms: a delivery report (%s) for attempt %d, which is no SMS attempt: ignored",
                    report.state, report.attempt_id)
    elif done.result == "duplicate":
        log.debug("sms: attempt %d of message %s %s again", report.attempt_id, done.message_id, report.state)
    else:
        log.info("sms: attempt %d of message %s %s%s", report.attempt_id, done.message_id, report.state,
                 ": its step ends now" if done.ended_step else "")
    if done.ended_step:
        request.app[MESSAGING].wake()
    return web.Response(text="", content_type="text/plain")


OPENAPI_PATHS: dict = {
    "/api/sms/delivery": {"get": {
        "operationId": "smsDeliveryReport", "tags": ["messages"], "security": [],
        "summary": "A delivery report of a dispatch SMS, from the gateway's dlr-url (shared token, no account)",
        "description": "Written to the message's history as an entry (sms_accepted, sms_delivered, "
                       "sms_undelivered, sms_rejected) and kept on the attempt as its delivery state. A "
                       "rejection (16) or a non-delivery (2) ends the attempt's step at once if its message "
                       "still waits there, and the dispatch goes on to the next step; a report never "
                       "confirms a message. A report for an attempt of a finished message is recorded and "
                       "moves nothing; one for an unknown attempt is ignored. A wrong token is 404.",
        "parameters": [
            {"name": "token", "in": "query", "required": True, "schema": {"type": "string"},
             "description": "the gateway's shared token ([sms] inbound_token)"},
            {"name": "attempt", "in": "query", "required": True,
             "schema": {"type": "integer", "minimum": 1}, "description": "the SMS attempt's id (its history entry)"},
            {"name": "status", "in": "query", "required": True,
             "schema": {"type": "integer", "enum": sorted(sms_delivery.REPORTS)},
             "description": "Kannel's report type (%d): 8 accepted by the SMS centre, 16 rejected by it, "
                            "1 delivered to the phone, 2 not delivered"},
            {"name": "reply", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "what the SMS centre answered (%A), kept as the entry's detail"}],
        "responses": {"200": {"description": "Taken, or ignored (no such SMS attempt); empty",
                              "content": {"text/plain": {"schema": {"type": "string", "maxLength": 0}}}},
                      "400": {"description": "A parameter is missing or malformed; the error names it",
                              "content": {"application/json": {
                                  "schema": {"$ref": "#/components/schemas/Error"}}}},
                      "404": {"description": "Wrong token, or no SMS gateway configured"}}}},
}
