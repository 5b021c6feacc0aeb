"""What the browser tests' store holds: two clients, their users, calls of yesterday (client time),
real WAV recordings spoken by espeak-ng, an IVR path and a timeline. The expected figures of the
statistics page are written out here by hand from the calls, not computed by the code under test."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from recordings.audio import synthesize
from store import (
    CallEvent,
    CallRecord,
    RecordingRecord,
    agents,
    calls,
    clients,
    connect,
    contacts,
    infopages,
    ivr_path,
    menus,
    migrate,
    users,
)
from store import oncall as store_oncall
from store.clock import iso
from store.ivr_path import IvrStep
from web import hash_password

PASSWORDS = {"alice": "alice-portal-1", "bob": "bob-portal-2", "sup": "sup-portal-3", "root": "root-portal-4",
             "carol": "carol-portal-5", "dana": "dana-portal-6", "ed": "ed-portal-7", "sue": "sue-portal-8"}
DESK_AGENTS = (("dana", "201", "Dana Agent"), ("ed", "202", "Ed Agent"))  # agents' accounts and their phones
SUPERVISOR_PHONE = ("sue", "209", "Sue Superviseure")  # a supervisor who listens from phone 209
ZONE = ZoneInfo("America/Toronto")
YESTERDAY = (datetime.now(ZONE) - timedelta(days=1)).date()


def local(hour: int, minute: int) -> datetime:
    return datetime(YESTERDAY.year, YESTERDAY.month, YESTERDAY.day, hour, minute, tzinfo=ZONE)


@dataclass(frozen=True)
class Seeded:
    """(hour, minute), disposition, queue, agent, wait, talk, caller, DID, spoken text of the recording."""

    linkedid: str
    client: str
    at: tuple[int, int]
    disposition: str
    caller: str
    did: str
    queue: str | None = None
    agent: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    speech: tuple[str, str] | None = None  # (language, text)


CALLS = (
    Seeded("1750000001.1", "1000", (9, 5), "answered", "+15145551111", "+15145550100", "accueil", "201", 8, 95,
           ("fr", "Bonjour, cabinet Dupont, je vous écoute.")),
    Seeded("1750000002.1", "1000", (9, 40), "abandoned_queue", "+15145552222", "+15145550100", "accueil", None, 45),
    Seeded("1750000003.1", "1000", (10, 15), "answered", "+15145553333", "+15145550101", "accueil", "202", 25, 60,
           ("en", "Good morning, Dupont office, how can I help?")),
    Seeded("1750000004.1", "1000", (10, 50), "voicemail", "+15145551111", "+15145550100"),
    Seeded("1750000005.1", "1000", (14, 30), "abandoned_ivr", "+15145554444", "+15145550101"),
    Seeded("1750000006.1", "1000", (14, 45), "answered", "+15145555555", "+15145550100", "accueil", "201", 130, 30),
    Seeded("1760000001.1", "2000", (11, 0), "answered", "+14165550001", "+14165550199", "garage", "301", 5, 40,
           ("en", "Tremblay garage, good morning.")),
    Seeded("1760000002.1", "2000", (12, 0), "closed_hours", "+14165550002", "+14165550199"),
)
ALICE = [c.linkedid for c in sorted(CALLS, key=lambda c: c.at, reverse=True) if c.client == "1000"]
BOB = [c.linkedid for c in sorted(CALLS, key=lambda c: c.at, reverse=True) if c.client == "2000"]
TIMELINE_CALL = "1750000001.1"
# Two versions of client 1000's menu (the store keeps the text; the IVR checks it before an apply).
MENU_VERSIONS = ("menu: dupont\nnodes: {}\n", "menu: dupont\nnodes: {accueil: {}}\n")

# Client 1000's on-call team: a daily rotation handing over at 08:00 since ten days ago, and Chloé
# covering tomorrow afternoon; its InfoPages, one section in French only.
TEAM = ("Ana Roy", "Ben Lee", "Chloé Gagnon")
INFOPAGES = [
    {"kind": "instructions", "title": {"fr": "Consignes", "en": "Protocol"},
     "body": {"fr": "Urgence : appeler le technicien de garde.", "en": "Emergency: call the on-call technician."}},
    {"kind": "hours", "title": {"fr": "Heures"}, "body": {"fr": "Du lundi au vendredi, 8 h à 17 h."}},
]


def _oncall(db) -> None:
    team = [contacts.add_contact(db, "1000", name, role="technicien", mobile=f"514555020{i}", sms=True)
            for i, name in enumerate(TEAM)]
    today = datetime.now(ZONE).date()
    store_oncall.set_rotation(db, "1000", "daily", "08:00", (today - timedelta(days=10)).isoformat(),
                              [team[0].id, team[1].id])
    tomorrow = today + timedelta(days=1)
    noon = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12, tzinfo=ZONE)
    store_oncall.add_override(db, "1000", team[2].id, noon, noon + timedelta(hours=6), "holiday")
    infopages.set_infopages(db, "1000", infopages.parse_sections(INFOPAGES))


# Client 1000's statistics over the default period (its last seven days), by hand from CALLS.
PER_HOUR = {9: (2, 1, 1), 10: (2, 1, 0), 14: (2, 1, 1)}  # hour: (offered, answered, abandoned)
DAY_RATE = (6, 2)  # yesterday: offered, abandoned
WAITS = {0: 1, 20: 1, 30: 1, 120: 1}  # bucket start (s): calls (8, 25, 45, 130 s)


def _recording(recordings: Path, call: Seeded, started: datetime) -> RecordingRecord:
    assert call.speech is not None
    rel = f"{call.client}/{started:%Y/%m/%d}/{call.linkedid}.wav"
    info = synthesize(call.speech[1], call.speech[0], recordings / rel)
    with wave.open(str(recordings / rel), "rb") as w:  # a real PCM WAV file, as MixMonitor writes
        assert w.getnframes() > 0
    return RecordingRecord(rel, (recordings / rel).stat().st_size, round(info.duration_s, 2), "wav")


def _record(recordings: Path, call: Seeded) -> CallRecord:
    started = local(*call.at)
    answered = started + timedelta(seconds=2 + (call.wait_s or 0)) if call.disposition == "answered" else None
    length = 2 + (call.wait_s or 0) + (call.talk_s or 10)
    events = (CallEvent(iso(started), "start", f"PJSIP/trunk-{call.linkedid}", {"did": call.did}),)
    if call.queue:
        events += (CallEvent(iso(started + timedelta(seconds=2)), "queue_join", f"PJSIP/trunk-{call.linkedid}",
                             {"queue": call.queue}),)
    if answered:
        events += (CallEvent(iso(answered), "agent_answer", f"PJSIP/{call.agent}-0001", {"agent": call.agent or ""}),)
    events += (CallEvent(iso(started + timedelta(seconds=length)), "hangup", f"PJSIP/trunk-{call.linkedid}",
                         {"cause": "16"}),)
    return CallRecord(
        linkedid=call.linkedid, client_code=call.client, started_at=iso(started), disposition=call.disposition,
        did=call.did, dialled=call.did, caller_number=call.caller,
        caller_name="Jeanne Roy" if call.linkedid == TIMELINE_CALL else None,
        answered_at=iso(answered) if answered else None, ended_at=iso(started + timedelta(seconds=length)),
        duration_s=length, queue=call.queue, agent=call.agent,
        queued_at=iso(started + timedelta(seconds=2)) if call.queue else None, wait_s=call.wait_s,
        talk_s=call.talk_s, hangup_side="caller",
        recordings=(_recording(recordings, call, started),) if call.speech else (), events=events)


def seed(store_path: Path, recordings: Path) -> None:
    migrate(store_path)
    db = connect(store_path)
    try:
        db.execute("BEGIN")
        clients.add_client(db, "1000", "Cabinet Dupont", "fr", "America/Toronto")
        clients.add_client(db, "2000", "Garage Tremblay", "en", "America/Toronto")
        clients.add_did(db, "+15145550100", "1000", "principal")
        clients.add_did(db, "+15145550101", "1000", "urgences")
        clients.add_did(db, "+14165550199", "2000", "main")
        for login, role, code in (("alice", "client", "1000"), ("bob", "client", "2000"), ("sup", "supervisor", None),
                                  ("root", "admin", None), ("carol", "client", "1000")):
            users.add_user(db, login, hash_password(PASSWORDS[login], log2_n=10), role, code)
        for login, agent, name in DESK_AGENTS:
            agents.add_agent(db, agent, name, f"{login}-sip-secret", "permanence")
            users.add_user(db, login, hash_password(PASSWORDS[login], log2_n=10), "agent", agent_id=agent)
        login, phone, name = SUPERVISOR_PHONE
        agents.add_agent(db, phone, name, f"{login}-sip-secret", "permanence")
        users.add_user(db, login, hash_password(PASSWORDS[login], log2_n=10), "supervisor", agent_id=phone)
        for call in CALLS:
            calls.save_call(db, _record(recordings, call))
        ivr_path.add_steps(db, TIMELINE_CALL, [
            IvrStep(iso(local(9, 5) + timedelta(seconds=0.5)), "dupont", "langue", "language", "1", "choice 1 -> fr"),
            IvrStep(iso(local(9, 5) + timedelta(seconds=1.5)), "dupont", "accueil", "menu", "1",
                    "choice 1 -> accueil")])
        for version in MENU_VERSIONS:
            menus.apply_menu(db, "dupont", "1000", "dupont.yaml", version)
            menus.apply_menu(db, "tremblay", "2000", "tremblay.yaml", version.replace("dupont", "tremblay"))
        _oncall(db)
        db.execute("COMMIT")
    finally:
        db.close()
