"""The call history's filters, the client's window and the recordings' access audit, in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store import CallRecord, RecordingRecord, Scope, calls
from store.audit import Access, AccessFilter, list_access, record_access
from store.call_filter import CallFilter, like_literal
from store.clock import iso
from store.visibility import visible_client, window_start
from tests.support import two_clients

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
A, B, ALL = Scope.client("1000"), Scope.client("2000"), Scope.everything()


def ago(days: float) -> str:
    return iso(NOW - timedelta(days=days))


@pytest.fixture
def db(tmp_path):
    yield from two_clients(tmp_path)


def _save(db, linkedid: str, client: str | None = "1000", days: float = 1, **kw) -> None:
    kw.setdefault("disposition", "answered")
    calls.save_call(db, CallRecord(linkedid=linkedid, client_code=client, started_at=ago(days), **kw))


def _ids(db, scope: Scope, **filters) -> list[str]:
    return [c["linkedid"] for c in calls.list_calls(db, scope, 500, filters=CallFilter(**filters), now=NOW)]


@pytest.fixture
def history(db):
    _save(db, "1", days=1.0, did="+15145550100", caller_number="+15145551234", queue="sales", agent="201",
          recordings=(RecordingRecord("1000/a/1.wav", 10, 1.0, "wav"),))
    _save(db, "2", days=2.0, did="+15145550101", caller_number="+15145559999", queue="support", agent="202",
          disposition="abandoned_queue")
    _save(db, "3", days=3.0, did="+15145550100", caller_number="100%_off", disposition="abandoned_ivr",
          recordings=(RecordingRecord("1000/a/3.wav", 10, 1.0, "wav"),))
    _save(db, "4", days=59.5, caller_number="+15145551234", disposition="voicemail")
    _save(db, "5", days=61.0, caller_number="+15145551234")  # outside a 60-day window
    _save(db, "6", client="2000", days=1.5, did="+15145550200", caller_number="+15145551234", queue="sales")
    db.execute("UPDATE recordings SET purged_at = ? WHERE path = '1000/a/3.wav'", [ago(0.5)])
    return db


def test_each_filter_narrows_the_history(history):
    db = history
    assert _ids(db, A) == ["1", "2", "3", "4"]
    assert _ids(db, A, started_from=ago(2.5)) == ["1", "2"]
    assert _ids(db, A, started_to=ago(2.5)) == ["3", "4"]
    assert _ids(db, A, started_from=ago(2.5), started_to=ago(1.5)) == ["2"]
    assert _ids(db, A, did="+15145550100") == ["1", "3"]
    assert _ids(db, A, caller="1234") == ["1", "4"]
    assert _ids(db, A, dispositions=("abandoned_ivr", "abandoned_queue")) == ["2", "3"]
    assert _ids(db, A, queue="sales") == ["1"]
    assert _ids(db, A, agent="202") == ["2"]
    assert _ids(db, A, has_recording=True) == ["1"]  # call 3's recording was purged
    assert _ids(db, A, has_recording=False) == ["2", "3", "4"]
    assert _ids(db, A, queue="sales", caller="1234", has_recording=True) == ["1"]
    assert _ids(db, ALL, queue="sales") == ["1", "6"]
    assert _ids(db, ALL, client_code="2000") == ["6"]
    assert _ids(db, A, client_code="2000") == []  # a filter never widens the scope


def test_like_metacharacters_match_themselves(history):
    assert like_literal("a%b_c\\") == "%a\\%b\\_c\\\\%"
    assert _ids(history, A, caller="%") == ["3"]
    assert _ids(history, A, caller="0%_") == ["3"]
    assert _ids(history, A, caller="_") == ["3"]
    assert _ids(history, A, caller="5_4") == []


@pytest.mark.parametrize("evil", ["' OR '1'='1", "1000' --", "\"; DROP TABLE calls; --", "%' OR 1=1 --", "\\",
                                  "1 UNION SELECT * FROM users"])
def test_sql_metacharacters_in_every_filter_are_plain_values(history, evil):
    for field in ("did", "caller", "queue", "agent", "client_code"):  # times are checked by the web layer
        assert _ids(history, A, **{field: evil}) == [], field
    assert _ids(history, A, dispositions=(evil,)) == []
    assert len(_ids(history, ALL)) == 6  # nothing was dropped or changed


def test_a_client_sees_its_window_only_and_admins_everything(history):
    db = history
    assert window_start(db, A, NOW) == ago(60) and window_start(db, ALL, NOW) is None
    assert calls.get_call(db, A, "5", now=NOW) is None
    assert calls.get_call(db, ALL, "5", now=NOW)["linkedid"] == "5"
    assert "5" in _ids(db, ALL)
    db.execute("UPDATE clients SET history_days = 90 WHERE code = '1000'")
    assert _ids(db, A) == ["1", "2", "3", "4", "5"]
    db.execute("UPDATE clients SET history_days = 2 WHERE code = '1000'")
    assert _ids(db, A) == ["1", "2"]  # the window's first instant is inside it
    db.execute("UPDATE clients SET history_days = 1 WHERE code = '1000'")
    assert _ids(db, A) == ["1"]
    rec = calls.list_calls(db, ALL, 10, filters=CallFilter(has_recording=True))[0]["recordings"][0]
    assert calls.get_recording(db, A, rec["id"], now=NOW)["linkedid"] == "1"
    assert calls.get_recording(db, A, rec["id"], now=NOW + timedelta(days=1)) is None  # aged out of the window
    assert calls.get_recording(db, ALL, rec["id"], now=NOW + timedelta(days=1)) is not None


def test_a_client_is_visible_to_itself_and_unlimited_scopes_only(db):
    assert visible_client(db, A, "1000").timezone == "America/Toronto"
    assert visible_client(db, A, "1000").history_days == 60 and visible_client(db, A, "1000").service_level_s == 20
    assert visible_client(db, A, "2000") is None
    assert visible_client(db, ALL, "2000").code == "2000"
    assert visible_client(db, ALL, "9999") is None


def test_recording_access_is_audited_and_listed_newest_first(history):
    db = history
    rec_id = calls.get_call(db, A, "1", now=NOW)["recordings"][0]["id"]
    record_access(db, Access(rec_id, "alice", "127.0.0.1", 10, 200, at=ago(0.3)))
    record_access(db, Access(rec_id, "alice", "127.0.0.1", 4, 206, at=ago(0.2)))
    record_access(db, Access(rec_id, "bob", "10.0.0.2", 0, 404, at=ago(0.1)))
    record_access(db, Access(99999, "bob", "10.0.0.2", 0, 404))  # no such recording: nothing to reference
    rows = list_access(db, ALL)
    assert [(r["login"], r["status"], r["bytes"]) for r in rows] == [("bob", 404, 0), ("alice", 206, 4),
                                                                     ("alice", 200, 10)]
    assert rows[0]["linkedid"] == "1" and rows[0]["client_code"] == "1000" and rows[0]["address"] == "10.0.0.2"
    assert [r["status"] for r in list_access(db, ALL, filters=AccessFilter(login="alice"))] == [206, 200]
    assert [r["status"] for r in list_access(db, ALL, filters=AccessFilter(at_to=ago(0.15)))] == [206, 200]
    assert [r["status"] for r in list_access(db, ALL, filters=AccessFilter(at_from=ago(0.25)))] == [404, 206]
    assert list_access(db, ALL, filters=AccessFilter(recording_id=rec_id + 1)) == []
    assert list_access(db, ALL, filters=AccessFilter(client_code="2000")) == []
    page = list_access(db, ALL, limit=2)
    assert [r["status"] for r in list_access(db, ALL, before_id=page[-1]["id"])] == [200]
    assert len(list_access(db, A)) == 3 and list_access(db, B) == []
    assert list_access(db, ALL, filters=AccessFilter(login="' OR 1=1 --")) == []


def test_the_export_tuples_are_the_listed_rows(history):
    for scope, filters in ((A, CallFilter()), (ALL, CallFilter(caller="1234")), (A, CallFilter(has_recording=True))):
        listed = calls.list_calls(history, scope, 500, filters=filters, now=NOW)
        tuples = calls.list_call_tuples(history, scope, 500, filters=filters, now=NOW)
        assert [(*(c[f] for f in calls.CALL_FIELDS), tuple(r["id"] for r in c["recordings"])) for c in listed] == [
            (*t[:-2], bool(t[-2]), t[-1]) for t in tuples]
    assert calls.list_call_tuples(history, B, 10, filters=CallFilter(queue="nope"), now=NOW) == []


def test_the_export_page_is_the_listed_rows_shaped_for_csv(history):
    for scope, filters in ((A, CallFilter()), (ALL, CallFilter(caller="1234")), (A, CallFilter(has_recording=True))):
        listed = calls.list_calls(history, scope, 500, filters=filters, now=NOW)
        page = calls.export_page(history, scope, 500, filters=filters, now=NOW)
        assert [(*(c[f] for f in calls.CALL_FIELDS[:-1]), "true" if c["recovered"] else "false",
                 " ".join(str(r["id"]) for r in c["recordings"]) or None) for c in listed] == page
    assert calls.export_page(history, B, 10, filters=CallFilter(queue="nope"), now=NOW) == []


@pytest.mark.parametrize(("scope", "filters", "index"), [
    (ALL, CallFilter(dispositions=("failed",)), "calls_disposition_started"),
    (ALL, CallFilter(client_code="1000", dispositions=("voicemail",)), "calls_client_disposition_started"),
    (A, CallFilter(dispositions=("voicemail",)), "calls_client_disposition_started"),
])
def test_a_disposition_page_reads_its_own_index_in_page_order(history, scope, filters, index):
    sql, args = calls._history(history, scope, 51, ("2026-03-09T00:00:00.000Z", "9"), filters, NOW)
    plan = " ".join(row[3] for row in history.conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
    assert f"USING INDEX {index} " in plan and "TEMP B-TREE" not in plan, plan
