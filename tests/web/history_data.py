"""Calls for the history, recordings and statistics API tests, added to the `api` fixture's store.

Client 1000 (alice) has, besides the fixture's three answered calls of yesterday 10:00 UTC, the calls
below two days ago, one call 70 days ago (outside its 60-day window), an IVR path and a timeline;
client 2000 (bob) has the fixture's one call. A supervisor, `sup`, sees everything.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import CallEvent, CallRecord, calls, ivr_path, users
from store.clock import iso
from store.ivr_path import IvrStep
from web import hash_password

from .conftest import PASSWORDS, Api

SUPERVISOR = ("sup", "sup-secret-9")
DAY = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=2)
FORMULA_NAME = '=HYPERLINK("http://x.invalid","click")'
ALICE_IDS = ["1700000020.1", "1700000010.1", "1700000000.1", "h4", "h3", "h2", "h1"]  # newest first


def at(minutes: float) -> str:
    return iso(DAY + timedelta(minutes=minutes))


def seed_history(db) -> None:
    users.add_user(db, SUPERVISOR[0], hash_password(SUPERVISOR[1], log2_n=10), "supervisor")
    for call in (
        CallRecord(linkedid="h1", client_code="1000", started_at=at(0), disposition="answered",
                   did="+15145550100", caller_number="+15145551111", caller_name="Jeanne",
                   queue="1000-accueil", agent="201", queued_at=at(0.5), wait_s=12.0, talk_s=90.0,
                   hangup_side="caller", answered_at=at(0.7), ended_at=at(2.2), duration_s=132.0,
                   events=(CallEvent(at(0), "start", "PJSIP/a-1"), CallEvent(at(0.5), "queue", "PJSIP/a-1",
                                                                             {"queue": "1000-accueil"}))),
        CallRecord(linkedid="h2", client_code="1000", started_at=at(10), disposition="abandoned_queue",
                   did="+15145550101", caller_number="+15145552222", queue="1000-accueil", wait_s=40.0,
                   hangup_side="caller"),
        CallRecord(linkedid="h3", client_code="1000", started_at=at(20), disposition="abandoned_ivr",
                   did="+15145550100", caller_number="+15145551111", caller_name=FORMULA_NAME),
        CallRecord(linkedid="h4", client_code="1000", started_at=at(30), disposition="voicemail",
                   did="+15145550101", caller_number="+15145553333", agent="202", transfers=1),
        CallRecord(linkedid="old", client_code="1000", started_at=iso(DAY - timedelta(days=68)),
                   disposition="answered", caller_number="+15145551111"),
    ):
        calls.save_call(db, call)
    ivr_path.add_steps(db, "h1", [IvrStep(at(0.1), "accueil", "lang", "language", "1", "choice 1 -> fr"),
                                  IvrStep(at(0.3), "accueil", "main", "menu", "1", "choice 1 -> reception")])
    ivr_path.add_steps(db, "h2", [IvrStep(at(10.1), "accueil", "main", "menu", "1", "choice 1 -> reception")])
    ivr_path.add_steps(db, "h4", [IvrStep(at(30.1), "accueil", "main", "menu", "9", "choice 9 -> voicemail")])


async def bearer(api: Api, login: str) -> dict[str, str]:
    password = SUPERVISOR[1] if login == SUPERVISOR[0] else PASSWORDS[login]
    resp = await api.client.post("/api/login", json={"login": login, "password": password})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def with_history(api: Api) -> dict[str, dict[str, str]]:
    """Seed the history; the bearer headers of alice, bob, root and sup."""
    await api.store.write(seed_history)
    return {login: await bearer(api, login) for login in ("alice", "bob", "root", "sup")}
