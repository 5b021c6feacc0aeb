"""The ACD load bench's parts (bench.acd_load): the agents' phones, one step of calls, and how each call
is judged against the call history.

Agents. AGENTS agents answer queue QUEUE. Their softphones are one sipp UAS: every agent REGISTERs
(digest, tests/e2e/agents.py) with the same contact port, where sipp answers every call after RING_MS,
talks TALK_MS and hangs up — so a call's length is fixed and the agent side is never the limit
(AGENTS / a call's length, with no wrap-up, is above what the rates reached need).

A call succeeds only if sipp (the caller) saw it through — answered, keys sent, the agent's hang-up
relayed by Asterisk — and the call history has it complete: disposition answered, the queue, one of
the bench's agents, its wait and talk time, hang-up side agent.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import socket
import sqlite3
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.agents import answers
from tests.e2e.sipp import keypress_scenario
from tests.support import free_port

from .sandbox_calls import MAX_FAILED, SetupError, _logged_ok, _sipp_failures

QUEUE = "bench-acd"
AGENTS = tuple(str(n) for n in range(5001, 5301))
AGENT_SECRET = "bench-agent-secret"
RING_MS = 200
TALK_MS = 3000
ACD_DID = "5145550100"  # the client's DID; its entry menu ends in QUEUE (bench.acd_load)
ACD_BASELINE_DID = "5145550901"  # bench/asterisk/extensions_bench.conf: the same call in dialplan alone
DIALLED = {"figure": ACD_DID, "baseline": ACD_BASELINE_DID}
ACTIONS = (1.0, "1", 1.0, "1")  # language 1, then main menu 1: the queue
CALLER_NAME = "Acd {step} [call_number]"
CALLER_RE = re.compile(r"^Acd (\d+) (\d+)$")
CALL_TIMEOUT = 20.0  # s sipp waits for the answer, then for the hang-up after the keys (queue + talk)
HISTORY_WAIT = 15.0
WINDOW = 25  # REGISTERs in flight at once


@dataclass
class AcdStep:
    route: str
    rate: float
    calls: int
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    waits: list[float] = field(default_factory=list)  # s in the queue, the calls that succeeded
    concurrent: int = 0  # the most calls sipp had at once
    cpu: dict[str, float] = field(default_factory=dict)  # process → share of one core over the step

    @property
    def ok(self) -> bool:
        return self.failed < MAX_FAILED * self.calls

    @property
    def median_wait_s(self) -> float:
        return statistics.median(self.waits) if self.waits else math.nan


class AgentPhones:
    """Every bench agent registered on one sipp UAS that answers, talks and hangs up."""

    def __init__(self, work: Path, sip_port: int) -> None:
        self.work, self.sip_port = work, sip_port
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.port = free_port(socket.SOCK_DGRAM)
        register_all(self.sip_port, AGENTS, AGENT_SECRET, self.port)
        scenario = self.work / "agents.xml"
        scenario.write_text(answers("agent", ring_ms=RING_MS, talk_ms=TALK_MS), encoding="utf-8")
        # -aa: sipp answers Asterisk's qualify OPTIONS (every minute per contact) outside any call.
        with (self.work / "agents.out").open("wb") as out:
            self.process = subprocess.Popen(
                ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(self.port),
                 "-mp", str(free_port(socket.SOCK_DGRAM)), "-aa", "-nostdin", "-l", "100000",
                 "-trace_err", "-error_file", str(self.work / "agents-errors.log")],
                cwd=self.work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(0.5)
        if self.process.poll() is not None:
            raise SetupError(f"the agents' sipp exited: {(self.work / 'agents.out').read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def register_all(sip_port: int, agents: tuple[str, ...], secret: str, local_port: int, timeout: float = 30) -> None:
    """REGISTER every agent's contact at 127.0.0.1:local_port, all at once from that port (digest auth,
    realm permanence), answering Asterisk's qualify OPTIONS meanwhile; SetupError unless all took.
    tests/e2e/agents.py registers one agent at a time, a second each: too slow for hundreds."""
    uri = f"sip:127.0.0.1:{sip_port}"
    call_ids = {secrets.token_hex(8): agent for agent in agents}
    last: dict[str, tuple[int, str]] = {}  # call id → (cseq, authorization) of the last REGISTER sent
    pending = set(call_ids)

    def send(sock: socket.socket, call_id: str, cseq: int, auth: str = "") -> None:
        agent = call_ids[call_id]
        last[call_id] = (cseq, auth)
        sock.sendto((f"REGISTER {uri} SIP/2.0\r\n"
                     f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{secrets.token_hex(6)};rport\r\n"
                     f"Max-Forwards: 70\r\nFrom: <sip:{agent}@127.0.0.1>;tag={call_id[:8]}\r\n"
                     f"To: <sip:{agent}@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
                     f"Contact: <sip:{agent}@127.0.0.1:{local_port}>\r\nExpires: 3600\r\n{auth}"
                     "Content-Length: 0\r\n\r\n").encode(), ("127.0.0.1", sip_port))

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", local_port))
        sock.settimeout(0.2)
        deadline = time.monotonic() + timeout
        quiet_until = resend_at = 0.0
        while time.monotonic() < deadline and (pending or time.monotonic() < quiet_until):
            if pending and time.monotonic() >= resend_at:
                # UDP: a REGISTER or its answer may be lost (a burst overflows a socket buffer); the
                # ones still pending go again, a window at a time, until each has its final answer.
                for call_id in sorted(pending)[:WINDOW]:
                    send(sock, call_id, *last.get(call_id, (1, "")))
                resend_at = time.monotonic() + 1.0
            try:
                message = sock.recv(65535).decode(errors="replace")
            except TimeoutError:
                continue
            if message.startswith("OPTIONS "):
                _answer_options(sock, message)
                continue
            call_id = re.search(r"(?mi)^Call-ID:\s*(\S+)", message)
            status = message.split(" ", 2)[1] if message.startswith("SIP/2.0 ") else ""
            if call_id is None or call_id.group(1) not in pending or not status.isdigit() or int(status) < 200:
                continue
            agent = call_ids[call_id.group(1)]
            if status == "200":
                pending.discard(call_id.group(1))
                quiet_until = time.monotonic() + 1.0  # the qualify OPTIONS that follow each contact
                resend_at = 0.0
            elif status == "401":
                params = dict(re.findall(r'(\w+)="?([^",]*)"?', message.split("WWW-Authenticate:", 1)[1]
                                         .split("\r\n", 1)[0]))
                ha1 = _md5(f"{agent}:{params['realm']}:{secret}")
                response = _md5(f"{ha1}:{params['nonce']}:00000001:{call_id.group(1)[:8]}:auth:"
                                f"{_md5(f'REGISTER:{uri}')}")
                send(sock, call_id.group(1), last[call_id.group(1)][0] + 1,
                     f'Authorization: Digest username="{agent}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
                     f'uri="{uri}", response="{response}", algorithm=MD5, cnonce="{call_id.group(1)[:8]}", qop=auth, '
                     f'nc=00000001' + (f', opaque="{params["opaque"]}"' if "opaque" in params else "") + "\r\n")
            else:
                raise SetupError(f"REGISTER of agent {agent} refused: {message.splitlines()[0]}")
    if pending:
        raise SetupError(f"{len(pending)} agents not registered in {timeout:g} s "
                         f"(e.g. {call_ids[sorted(pending)[0]]})")


def _answer_options(sock: socket.socket, request: str) -> None:
    head = request.split("\r\n\r\n", 1)[0].split("\r\n")
    keep = [h for h in head[1:] if h.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    sent_by = re.search(r"SIP/2.0/UDP ([^;:]+):(\d+)", next((h for h in keep if h.lower().startswith("via")), ""))
    if sent_by is not None:
        answer = "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"
        sock.sendto(answer.encode(), (sent_by.group(1), int(sent_by.group(2))))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = float(os.sysconf("SC_CLK_TCK"))
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        child, parent = int(stat.parent.name), int(fields[1])
        children.setdefault(parent, []).append(child)
        times[child] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo += children.get(current, [])
    return total


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SetupError(f"no VmRSS for process {pid}")


def run_step(directory: Path, index: int, sip_port: int, store: Path, route: str, rate: float, calls: int,
             watch: dict[str, int]) -> AcdStep:
    """Step `index`: `calls` calls at `rate` calls/s on `route`; `watch` names processes whose CPU share
    over the step is reported."""
    work = directory / f"acd-{index:03d}-{route}"
    work.mkdir()
    scenario = keypress_scenario(ACTIONS, work, number=f"514557{index:04d}", name=CALLER_NAME.format(step=index),
                                 callee_hangs_up=True)
    (work / "scenario.xml").write_text(_bounded(scenario), encoding="utf-8")
    sending = calls / rate
    cmd = ["sipp", f"127.0.0.1:{sip_port}", "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
           "-mp", str(free_port(socket.SOCK_DGRAM)), "-sf", "scenario.xml", "-s", DIALLED[route],
           "-r", f"{rate:g}", "-rp", "1000", "-m", str(calls), "-l", str(math.ceil(rate * (CALL_TIMEOUT + 10)) + 10),
           "-nostdin", "-recv_timeout", f"{CALL_TIMEOUT:g}s", "-timeout", f"{math.ceil(sending + 2 * CALL_TIMEOUT)}s",
           "-trace_logs", "-log_file", "calls.log", "-trace_stat", "-stf", "stats.csv", "-fd", "1"]
    step = AcdStep(route, rate, calls)
    cpu_before = {name: process_cpu(pid) for name, pid in watch.items()}
    started = time.monotonic()
    with (work / "sipp.out").open("wb") as out:
        sipp = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            status = sipp.wait(sending + 3 * CALL_TIMEOUT + 10)
        except subprocess.TimeoutExpired:
            sipp.kill()
            sipp.wait()
            status = 1
            step.reasons["sipp stuck, killed"] += 1
    elapsed = time.monotonic() - started
    step.cpu = {name: (process_cpu(pid) - cpu_before[name]) / elapsed for name, pid in watch.items()}
    if status not in (0, 1):
        tail = (work / "sipp.out").read_text(errors="replace").strip()[-500:]
        raise SetupError(f"sipp exited with status {status}: {tail}")
    step.reasons.update(_sipp_failures(work / "stats.csv"))
    step.concurrent = _most_at_once(work / "stats.csv")
    judge(step, index, _logged_ok(work / "calls.log"), store)
    step.seconds = time.monotonic() - started
    return step


def judge(step: AcdStep, index: int, seen: set[int], store: Path) -> None:
    """Every call sipp saw through must be in the history, complete; the others failed in sipp."""
    deadline = time.monotonic() + HISTORY_WAIT
    while True:
        history = read_history(store, index)
        if seen <= history.keys() or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    good = 0
    for number in sorted(seen):
        call = history.get(number)
        if call is None:
            step.reasons["not in the call history"] += 1
            continue
        problem = incomplete(call)
        if problem:
            step.reasons[problem] += 1
            continue
        good += 1
        step.waits.append(call["wait_s"])
    step.failed = step.calls - good
    unexplained = step.failed - sum(step.reasons.values())
    if unexplained > 0:
        step.reasons["sipp: not seen through"] += unexplained


def incomplete(call: dict) -> str:
    """What is missing or wrong in a call row of the bench ('' when it is complete)."""
    if call["disposition"] != "answered":
        return f"disposition {call['disposition']}"
    if call["queue"] != QUEUE:
        return f"queue {call['queue']!r}"
    if call["agent"] not in AGENTS:
        return f"agent {call['agent']!r}"
    if call["wait_s"] is None or call["talk_s"] is None or call["ended_at"] is None:
        return "no wait, talk or end"
    if call["hangup_side"] != "agent":
        return f"hang-up side {call['hangup_side']!r}"
    return ""


def read_history(store: Path, index: int) -> dict[int, dict]:
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT caller_name, disposition, queue, agent, wait_s, talk_s, ended_at, hangup_side "
                            "FROM calls WHERE caller_name LIKE ?", [f"Acd {index} %"]).fetchall()
    finally:
        conn.close()
    calls = {}
    for row in rows:
        match = CALLER_RE.match(row["caller_name"] or "")
        if match and int(match.group(1)) == index:
            calls[int(match.group(2))] = dict(row)
    return calls


def _most_at_once(path: Path) -> int:
    """The most calls sipp had open at once (its statistics file's CurrentCall column)."""
    if not path.exists():
        return 0
    lines = [line.split(";") for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if len(lines) < 2 or "CurrentCall" not in lines[0]:
        return 0
    column = lines[0].index("CurrentCall")
    return max((int(row[column]) for row in lines[1:] if len(row) > column and row[column].isdigit()), default=0)


def _bounded(scenario: str) -> str:
    wait = 'recv request="BYE" timeout="60000"'
    if scenario.count(wait) != 1 or not scenario.rstrip().endswith("</scenario>"):
        raise SetupError("tests/e2e/sipp.py: the scenario no longer ends as bench/acd_calls.py expects")
    scenario = scenario.replace(wait, f'recv request="BYE" timeout="{int(CALL_TIMEOUT * 1000)}"')
    end = scenario.rindex("</scenario>")
    return scenario[:end] + '  <nop><action><log message="ok [call_number]"/></action></nop>\n' + scenario[end:]
