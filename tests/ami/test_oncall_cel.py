"""The on-call hand-off rebuilt from Asterisk's CEL (fixtures/cel_oncall.sql, fixtures/README.md): a call the
AMI listener missed gets the row it would have written — a connected hand-off answered by the contact, one
nobody took a message — and the same hand-off on its timeline (CELGenUserEvent, the contact's channel's
included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ami.calls import call_record
from ami.cel import by_call, read_rows
from ami.reconcile import rebuild

FIXTURE = Path(__file__).parent / "fixtures" / "cel_oncall.sql"
ANSWERED, UNANSWERED, OVERFLOW = "1796496027.0", "1796496039.2", "1796496071.4"
DIALLING = {"status": "dialling", "contact": "3", "name": "Carole Garde", "number": "+15145550743"}

# What the AMI listener wrote for the same calls (their rows in the run that captured the fixture); times are
# CEL's own, within a millisecond of AMI's.
EXPECTED = {
    ANSWERED: dict(client_code="7000", disposition="answered", talk_s=5.006, hangup_side="agent", hangup_cause=16,
                   agent=None, queue=None, oncall=[DIALLING, {"status": "answered"}]),
    UNANSWERED: dict(client_code="7000", disposition="voicemail", talk_s=None, hangup_side="caller", hangup_cause=0,
                     agent=None, queue=None,
                     oncall=[DIALLING, {"status": "NOANSWER", "contact": "3", "number": "+15145550743"}]),
    # A queue nobody was logged in to, overflowing to the on-call target.
    OVERFLOW: dict(client_code="1000", disposition="answered", talk_s=5.005, hangup_side="agent", hangup_cause=16,
                   agent=None, queue="1000-accueil",
                   oncall=[{"status": "dialling", "contact": "4", "name": "Denis Débordement",
                            "number": "+15145550744"}, {"status": "answered"}]),
}


@pytest.fixture(scope="module")
def calls(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("cel") / "cel.db"
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.commit()
    conn.close()
    _, rows = read_rows(path, 1)
    return {linkedid: call_record(rebuild(rs, close_at_end=True)) for linkedid, rs in by_call(rows).items()}


@pytest.mark.parametrize("linkedid", [ANSWERED, UNANSWERED, OVERFLOW])
def test_a_hand_off_is_rebuilt_from_cel_as_ami_wrote_it(calls, linkedid):
    record, expected = calls[linkedid], dict(EXPECTED[linkedid])
    assert [e.detail for e in record.events if e.kind == "oncall"] == expected.pop("oncall")
    assert {name: getattr(record, name) for name in expected} == expected
    assert record.recovered
