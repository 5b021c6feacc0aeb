"""Queues as data against the real Asterisk, with real calls: a queue changed with `permanence queues` and
`permanence queues apply` is what app_queue runs (its strategy, limits and service level as `queue show`
and QueueStatus report them); skills — the agent with penalty 0 is rung before the one with penalty 5,
and penalty rules hold the wider skills back until their time; wrap-up — an agent who just finished is
not rung again before wrapup_s; announcements in the caller's language; a queue file Asterisk would run
otherwise than rendered leaves the running configuration as it was.

Clients 4000 (French) and 4001 (English) answer with a menu that puts the caller straight into the shared
queue `qtest`; agents 231 and 232 answer it as each test sets them.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest

from ami.control import action_connection
from dialplan.deploy import Deployer
from permanence.config import load
from permanence.serve import asterisk_data, asterisk_settings
from recordings.prompts import sandbox_root, system_sound_dir
from store.clock import now_iso
from tests.support import wait_for

from .agents import SippAgent, answers, rings_without_answer
from .conftest import ADMIN_PASSWORD, BIN, System
from .sipp import keypress_scenario

pytestmark = pytest.mark.asterisk

QUEUE = "qtest"
DIDS = {"fr": "5145550400", "en": "5145550401"}
SECRETS = {"231": "agent-231-secret", "232": "agent-232-secret"}
MENU = """menu: qtest-{lang}
client: "{client}"
languages: [{lang}]
timezone: America/Toronto
entry: waiting
nodes:
  waiting:
    type: queue
    queue: qtest
"""
# What app_queue plays for announce-position and announce-holdtime (its built-in sound names).
ANNOUNCEMENT_SOUNDS = ("queue-youarenext", "queue-thereare", "queue-callswaiting", "queue-holdtime",
                       "queue-minutes", "queue-minute", "queue-seconds", "queue-less-than", "queue-thankyou",
                       "queue-reporthold", "digits/1", "digits/2", "digits/5")


def rx(system: System, command: str) -> str:
    result = system.sandbox("rx", command)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def qtest(system: System) -> Iterator[System]:
    work = Path(tempfile.mkdtemp(dir=system.sandbox_dir.parent, prefix="queues-"))
    for (lang, did), client in zip(DIDS.items(), ("4000", "4001"), strict=True):
        system.cli("clients", "add", client, f"Queues {lang}", "--language", lang)
        system.cli("dids", "add", did, client)
        menu = work / f"qtest-{lang}.yaml"
        menu.write_text(MENU.format(lang=lang, client=client), encoding="utf-8")
        system.cli("ivr", "apply", str(menu))
        system.cli("clients", "set-menu", client, f"qtest-{lang}")
    for agent, secret in SECRETS.items():
        system.cli("agents", "add", agent, f"Agent {agent}", "--password-stdin", stdin=secret + "\n")
    system.cli("queues", "add", QUEUE, "--label", "end-to-end")
    yield system


def configure(system: System, members: dict[str, int], *edits: str) -> str:
    """The queue's members and settings as given, then `permanence queues apply`; its output."""
    with system.db() as db:
        joined = {r[0] for r in db.execute("SELECT agent_id FROM queue_members WHERE queue = ?", [QUEUE])}
    for agent in SECRETS:
        if agent in members:
            system.cli("agents", "join", agent, QUEUE, "--penalty", str(members[agent]))
        elif agent in joined:
            system.cli("agents", "leave", agent, QUEUE)
    if edits:
        system.cli("queues", "edit", QUEUE, *edits)
    # The reload also makes the logged-in agents members of the queues they answer, with their penalty
    # (and no longer of those they left); an agent not yet logged in logs in once the queue exists.
    out = system.cli("queues", "apply")
    with system.db() as db:
        logged = {r[0] for r in db.execute("SELECT agent_id FROM agent_logins")}
    for agent in sorted(set(members) - logged):
        system.cli("agents", "login", agent)
    return out


def call(system: System, lang: str, actions: list[float | str], *, hangs_up: bool, work: Path) -> None:
    scenario = work / f"caller-{time.monotonic_ns()}.xml"
    scenario.write_text(keypress_scenario(actions, work, callee_hangs_up=not hangs_up), encoding="utf-8")
    result = system.sipp("-sf", str(scenario), "-s", DIDS[lang], timeout=90)
    assert result.returncode == 0, f"sipp:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"


def calls_since(system: System, since: str, count: int) -> list[str]:
    """The linkedids of the calls to qtest started after `since`, once `count` of them are written."""
    def written() -> list[str] | None:
        with system.db() as db:
            rows = db.execute("SELECT linkedid FROM calls WHERE queue = ? AND started_at > ? AND disposition != "
                              "'in_progress' ORDER BY started_at", [QUEUE, since]).fetchall()
        return [r[0] for r in rows] if len(rows) >= count else None
    return wait_for(written, 30, f"{count} call(s) to {QUEUE} written")


def events(system: System, linkedid: str, kind: str) -> list[tuple[datetime, dict]]:
    with system.db() as db:
        rows = db.execute("SELECT at, detail FROM call_events WHERE linkedid = ? AND kind = ? ORDER BY at, id",
                          [linkedid, kind]).fetchall()
    return [(datetime.fromisoformat(r[0]), json.loads(r[1])) for r in rows]


@pytest.fixture
def work(qtest: System) -> Path:
    return Path(tempfile.mkdtemp(dir=qtest.sandbox_dir.parent, prefix="qcall-"))


def phone(system: System, agent: str, work: Path, **timing: int) -> SippAgent:
    made = SippAgent(system, agent, SECRETS[agent], work)
    made.start(answers(agent, **timing))
    return made


def test_the_strategy_limits_and_service_level_applied_are_what_asterisk_runs(qtest):
    for strategy in ("ringall", "leastrecent", "fewestcalls", "rrmemory", "linear", "wrandom"):
        out = configure(qtest, {"231": 0}, "--strategy", strategy, "--max-callers", "3", "--service-level-s", "45")
        assert "reloaded" in out and "app_queue" in out, out
        shown = rx(qtest, f"queue show {QUEUE}")
        assert shown.startswith(f"{QUEUE} has 0 calls (max 3) in '{strategy}' strategy"), shown
        assert "within 45s" in shown, shown
    assert "changed: nothing" in qtest.cli("queues", "apply")  # the store and Asterisk agree


def test_a_queue_put_through_the_admin_api_reaches_asterisk_at_its_reload(qtest):
    qtest.cli("queues", "apply")  # Asterisk and the store agree to begin with
    token = qtest.login("admin", ADMIN_PASSWORD)
    status, _, raw = qtest.request("GET", f"/api/admin/queues/{QUEUE}", token=token)
    assert status == 200, raw
    body = {k: v for k, v in json.loads(raw).items() if k != "name"}
    status, _, raw = qtest.request("PUT", f"/api/admin/queues/{QUEUE}", token=token,
                                   body={**body, "strategy": "leastrecent", "max_callers": 7, "service_level_s": 25})
    assert status == 200, raw
    assert "'leastrecent' strategy" not in rx(qtest, f"queue show {QUEUE}")  # stored, not yet in Asterisk
    status, _, raw = qtest.request("POST", "/api/admin/asterisk/reload", token=token)
    report = json.loads(raw)
    assert status == 200 and report["changed"] == ["queues_local.conf"] and report["reloaded"] == ["app_queue"], report
    assert rx(qtest, f"queue show {QUEUE}").startswith(f"{QUEUE} has 0 calls (max 7) in 'leastrecent' strategy")
    assert "within 25s" in rx(qtest, f"queue show {QUEUE}")


def test_the_skilled_agent_is_rung_first(qtest, work):
    """Both agents ready; the one with penalty 0 is rung and answers, the other is never rung — then the
    same with their penalties swapped (not the agent's id or its order decides)."""
    for skilled, junior in (("231", "232"), ("232", "231")):
        configure(qtest, {skilled: 0, junior: 5}, "--strategy", "rrmemory", "--wrapup-s", "0", "--no-rules")
        since = now_iso()
        phones = [phone(qtest, skilled, work, ring_ms=300, talk_ms=2000), phone(qtest, junior, work, ring_ms=300)]
        try:
            call(qtest, "fr", [], hangs_up=False, work=work)
            assert phones[0].wait(30).returncode == 0
        finally:
            for p in phones:
                p.stop()
        (linkedid,) = calls_since(qtest, since, 1)
        rung = [detail["agent"] for _, detail in events(qtest, linkedid, "agent_ringing")]
        assert rung == [skilled], (skilled, rung)
        assert [d["agent"] for _, d in events(qtest, linkedid, "agent_answered")] == [skilled]


def test_penalty_rules_hold_the_wider_skills_back_until_their_time(qtest, work):
    """Only the penalty-5 agent is ready. With rules 0:0 then 6:5 it is rung six seconds into the wait,
    not before; without rules, at once."""
    waits = {}
    for rules in (("--rule", "0:0", "--rule", "6:5"), ("--no-rules",)):
        configure(qtest, {"231": 0, "232": 5}, "--strategy", "rrmemory", "--wrapup-s", "0", *rules)
        since = now_iso()
        junior = phone(qtest, "232", work, ring_ms=300, talk_ms=1500)
        try:
            call(qtest, "fr", [], hangs_up=False, work=work)
            assert junior.wait(30).returncode == 0
        finally:
            junior.stop()
        (linkedid,) = calls_since(qtest, since, 1)
        joined = events(qtest, linkedid, "queue_joined")[0][0]
        rung = events(qtest, linkedid, "agent_ringing")
        assert [d["agent"] for _, d in rung] == ["232"]
        waits[rules[0]] = (rung[0][0] - joined).total_seconds()
    print(f"penalty-5 agent rung after: {waits}")
    assert 5.0 <= waits["--rule"] <= 10.0, waits
    assert waits["--no-rules"] < 3.0, waits


def test_an_agent_is_not_rung_again_before_the_wrap_up_time(qtest, work):
    """Two callers, one agent: the second caller waits while the agent talks to the first; once that call
    ends the agent is ready again at once (a new registration), yet rung only after wrapup_s."""
    wrapup = 8
    configure(qtest, {"231": 0}, "--strategy", "rrmemory", "--wrapup-s", str(wrapup), "--no-rules")
    since = now_iso()
    first = phone(qtest, "231", work, ring_ms=300, talk_ms=2000)
    second: SippAgent | None = None
    with ThreadPoolExecutor(2) as pool:
        try:
            callers = [pool.submit(call, qtest, "fr", [], hangs_up=False, work=work)]
            time.sleep(1.0)
            callers.append(pool.submit(call, qtest, "fr", [], hangs_up=False, work=work))
            assert first.wait(30).returncode == 0
            # The next phone registers before the first one unregisters: an agent whose phone is
            # unreachable even for a moment empties the queue (leavewhenempty), sending the caller away.
            second = phone(qtest, "231", work, ring_ms=300, talk_ms=1500)
            first.stop()
            for caller in callers:
                caller.result(timeout=90)
            assert second.wait(30).returncode == 0
        finally:
            first.stop()
            if second is not None:
                second.stop()
    calls = calls_since(qtest, since, 2)
    done = {c: events(qtest, c, "agent_completed") for c in calls}
    assert all(done.values()), done  # the agent answered and finished both calls
    # The call the agent took first (callers reach the queue in the IVR's time, not always in order).
    one = min(calls, key=lambda c: done[c][0][0])
    two = next(c for c in calls if c != one)
    completed = done[one][0][0]
    rung_again = next(at for at, _ in events(qtest, two, "agent_ringing") if at > completed)
    # app_queue counts whole seconds: free again between wrapup-1 and wrapup seconds after the end.
    gap = (rung_again - completed).total_seconds()
    print(f"wrap-up {wrapup} s: rung again {gap:.2f} s after the end of the last call")
    assert wrapup - 1.5 <= gap <= wrapup + 5, (completed, rung_again)


def test_announcement_sounds_exist_in_french_and_english():
    """app_queue picks the position and hold-time sounds by the channel's language (CHANNEL(language), the
    client's): Debian's core sounds have every one in both."""
    root = sandbox_root()
    for language in ("fr", "en"):
        directory = system_sound_dir(root, language)
        assert directory is not None, f"no {language} sounds in {root}"
        missing = [n for n in ANNOUNCEMENT_SOUNDS if not list(directory.glob(f"{n}.*"))]
        assert missing == [], f"{language}: {missing}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_position_is_announced_in_the_callers_language(qtest, work, lang):
    configure(qtest, {"231": 0}, "--announce-position", "yes", "--announce-frequency-s", "20", "--no-rules")
    log = qtest.sandbox_dir / "log" / "messages.log"
    start = log.stat().st_size
    # Agent 231 logged in but paused: the caller waits, then leaves (with nobody logged in they would
    # not join: they would overflow).
    agent = SippAgent(qtest, "231", SECRETS["231"], work)
    agent.start(rings_without_answer("231"))
    try:
        rx(qtest, f"queue pause member PJSIP/231 queue {QUEUE} reason test")
        call(qtest, lang, [5.0], hangs_up=True, work=work)
    finally:
        agent.stop()
        rx(qtest, f"queue unpause member PJSIP/231 queue {QUEUE}")
        configure(qtest, {"231": 0}, "--announce-position", "no", "--announce-frequency-s", "0")
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    assert re.search(rf"Playing 'queue-youarenext\.\w+' \(language '{lang}'\)", text), text[-3000:]


class UnknownStrategy(Deployer):
    """The real rendering with a strategy app_queue does not know: it takes the file and runs ringall."""

    def adjust(self, directory: Path) -> None:
        path = directory / "queues_local.conf"
        path.write_text(path.read_text().replace(f"[{QUEUE}](permanence-queue)\nstrategy = linear\n",
                                                 f"[{QUEUE}](permanence-queue)\nstrategy = lineal\n"))


def _live(system: System) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((system.sandbox_dir / "etc").glob("*.conf"))}


async def test_a_queue_file_asterisk_would_run_otherwise_leaves_the_running_one_as_it_was(qtest):
    configure(qtest, {"231": 0}, "--strategy", "fewestcalls", "--no-rules")
    qtest.cli("queues", "edit", QUEUE, "--strategy", "linear")  # in the store, not yet in Asterisk
    before_files, before_queue = _live(qtest), rx(qtest, f"queue show {QUEUE}")
    config = load(qtest.config, env=qtest.env)
    a = config.ami
    deployer = UnknownStrategy(lambda: asterisk_settings(config, asterisk_data(config)), qtest.sandbox_dir / "etc",
                               lambda: action_connection(a.host, a.port, a.action_user, a.action_secret))
    report = await deployer.reload()
    assert not report.ok and report.stage == "asterisk" and report.restored, report
    assert f"app_queue: queue {QUEUE} runs with Strategy 'ringall', not 'linear'" in report.errors
    assert _live(qtest) == before_files  # the previous files, byte for byte
    assert rx(qtest, f"queue show {QUEUE}").splitlines()[0] == before_queue.splitlines()[0]  # still fewestcalls
    assert "'fewestcalls' strategy" in before_queue
    out = qtest.cli("queues", "apply")  # the real rendering goes through
    assert "'linear' strategy" in rx(qtest, f"queue show {QUEUE}"), out


def test_a_definition_that_cannot_be_rendered_changes_nothing(qtest):
    before = _live(qtest)
    with qtest.db() as db:  # written past the store's checks: a music class Asterisk does not have
        db.execute("UPDATE queues SET music_class = 'jazz' WHERE name = ?", [QUEUE])
        db.commit()
    try:
        result = subprocess.run([str(BIN / "permanence"), "queues", "apply"], env=qtest.env, text=True,
                                capture_output=True, timeout=60, check=False)
        assert result.returncode != 0
        assert f"queue {QUEUE}: music class 'jazz' is not in musiconhold.conf" in result.stdout + result.stderr
        assert _live(qtest) == before
    finally:
        with qtest.db() as db:
            db.execute("UPDATE queues SET music_class = 'default' WHERE name = ?", [QUEUE])
            db.commit()


