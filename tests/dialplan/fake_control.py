"""A stand-in for a running Asterisk behind dialplan.deploy's Control: a reload reads the live files
(queues and their members from queues_local.conf, endpoints from pjsip_local.conf) unless told to
refuse it or to answer Success and keep what it had (what app_queue and res_pjsip do with a file they
cannot use)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dialplan.deploy import ControlError
from store.queues import STRATEGIES


@dataclass
class FakeAsterisk:
    live: Path
    refuse: set[str] = field(default_factory=set)  # modules whose reload answers an error
    keep_old: set[str] = field(default_factory=set)  # modules that answer Success and load nothing
    unreachable: bool = False
    reloads: list[str] = field(default_factory=list)
    queues_loaded: dict[str, frozenset[str]] = field(default_factory=dict)
    params_loaded: dict[str, dict[str, str]] = field(default_factory=dict)
    endpoints_loaded: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.load("app_queue")
        self.load("res_pjsip")

    def load(self, module: str) -> None:
        if module == "app_queue" and (self.live / "queues_local.conf").exists():
            queues: dict[str, set[str]] = {}
            # app_queue's own defaults; an unknown strategy runs as ringall
            params: dict[str, dict[str, str]] = {}
            current = None
            for line in (self.live / "queues_local.conf").read_text().splitlines():
                if match := re.match(r"^\[([^\]]+)\]", line):
                    current = match[1]
                    queues[current] = set()
                    params[current] = {"Strategy": "ringall", "Max": "0", "ServiceLevel": "0"}
                elif line.startswith("member => ") and current:
                    queues[current].add(line.split("=> ")[1].split(",")[0])
                elif current and (setting := re.match(r"^(strategy|maxlen|servicelevel) = (\S+)$", line)):
                    key = {"strategy": "Strategy", "maxlen": "Max", "servicelevel": "ServiceLevel"}[setting[1]]
                    known = setting[1] != "strategy" or setting[2] in STRATEGIES
                    params[current][key] = setting[2] if known else "ringall"
            self.queues_loaded = {q: frozenset(m) for q, m in queues.items()}
            self.params_loaded = params
        if module == "res_pjsip" and (self.live / "pjsip_local.conf").exists():
            text = (self.live / "pjsip_local.conf").read_text()
            self.endpoints_loaded = frozenset(re.findall(r"^\[([^\]]+)\]\(softphone\)$", text, re.M))

    async def reload(self, module: str) -> None:
        self.reloads.append(module)
        if module in self.refuse:
            raise ControlError("An unknown error occurred")
        if module not in self.keep_old:
            self.load(module)

    async def queues(self) -> dict[str, frozenset[str]]:
        return dict(self.queues_loaded)

    async def queue_params(self) -> dict[str, dict[str, str]]:
        return {q: dict(p) for q, p in self.params_loaded.items()}

    async def endpoints(self) -> frozenset[str]:
        return self.endpoints_loaded

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[FakeAsterisk]:
        if self.unreachable:
            raise ControlError("AMI 127.0.0.1:5038: cannot log in as permanence-admin (connection refused)")
        yield self
