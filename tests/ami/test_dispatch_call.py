"""A dispatch call's Originate carries only checked words: an E.164 number through the carrier endpoint,
into the permanence-dispatch context, with the attempt's id; anything else is refused before Asterisk."""

from __future__ import annotations

import pytest

from ami.originate import DispatchCall


def test_the_action_dials_the_number_through_the_carrier_into_the_dispatch_context() -> None:
    action = DispatchCall("+15145550177", "127.0.0.1:5099", 42, 20, caller_id="+15145550000").action()
    assert action == {"Action": "Originate", "Channel": "PJSIP/carrier/sip:+15145550177@127.0.0.1:5099",
                      "Context": "permanence-dispatch", "Exten": "s", "Priority": 1, "Timeout": 20000,
                      "Variable": "DISPATCH_ATTEMPT=42", "CallerID": "<+15145550000>"}


@pytest.mark.parametrize(("number", "host", "attempt", "caller_id", "word"), [
    ("5145550177", "carrier", 1, "", "number"),
    ("+1514555017&Local/x", "carrier", 1, "", "number"),
    ("+15145550177", "carrier.example,Local/evil", 1, "", "host"),
    ("+15145550177", "carrier", 0, "", "attempt"),
    ("+15145550177", "carrier", 1, "Boss <1>", "caller id"),
])
def test_anything_else_is_refused(number: str, host: str, attempt: int, caller_id: str, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        DispatchCall(number, host, attempt, 20, caller_id)
