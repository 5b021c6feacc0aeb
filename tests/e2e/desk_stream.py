"""The agents' desk as the e2e tests read it: an agent's own stream of screen pops (GET
/api/agent/events) followed in a thread, and the web accounts of agents 101 and 102 that the modules
share (tests/e2e/agents.py agent_account: one per agent, made by whichever module needs it first)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from tests.support import wait_for

from .agents import agent_account

PASSWORD = "desk-password-1"
LOGINS = {"101": "alice101", "102": "bruno102"}
# The demo client's InfoPages as the desk tests set them.
INFOPAGES = {"sections": [{"kind": "instructions", "title": {"fr": "Consignes", "en": "Instructions"},
                           "body": {"fr": "Urgence : fuite d'eau, appeler le technicien de garde.",
                                    "en": "Emergency: water leak, call the on-call technician."}}]}


@dataclass
class Stream:
    """An SSE stream read in a thread: its events as (kind, data)."""
    events: list[tuple[str, dict]] = field(default_factory=list)
    received: list[float] = field(default_factory=list)  # when each event was read (epoch seconds)
    comments: int = 0
    status: int = 0

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


def follow(system: object, token: str) -> Stream:
    stream = Stream()
    request = urllib.request.Request(system.web + "/api/agent/events",  # type: ignore[attr-defined]
                                     headers={"Authorization": f"Bearer {token}"})

    def read() -> None:
        with urllib.request.urlopen(request, timeout=120) as resp:
            stream.status = resp.status
            kind, data = "message", ""
            for raw in resp:
                line = raw.decode().rstrip("\n")
                if line.startswith(":"):
                    stream.comments += 1
                elif line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif not line and data:
                    stream.received.append(time.time())
                    stream.events.append((kind, json.loads(data)))
                    kind, data = "message", ""

    threading.Thread(target=read, daemon=True).start()
    wait_for(lambda: stream.comments or stream.events, 10, "the stream's first line")
    return stream


def agent_login(system: object, agent_id: str) -> str:
    """A bearer token of agent `agent_id`'s web account (made if no module made it yet)."""
    agent_account(system, LOGINS[agent_id], agent_id, PASSWORD)
    return system.login(LOGINS[agent_id], PASSWORD)  # type: ignore[attr-defined]
