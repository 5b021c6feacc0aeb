"""Chromium from pytest: the Node bridge (bridge.mjs, playwright-core over Debian's /usr/bin/chromium)
as a subprocess spoken to in JSON lines, and a Page with the few verbs the tests use."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BRIDGE = HERE / "bridge.mjs"
INSTALL_HINT = "make test installs them (scripts/install-deps: chromium; npm ci in tests/browser)"


class BrowserError(RuntimeError):
    """The bridge refused a command or Chromium failed it; the message is Playwright's."""


def check_installed() -> None:
    missing = [what for what, ok in (
        ("node", shutil.which("node") is not None),
        ("/usr/bin/chromium", Path("/usr/bin/chromium").exists()),
        ("tests/browser/node_modules/playwright-core", (HERE / "node_modules" / "playwright-core").is_dir()),
    ) if not ok]
    if missing:
        raise RuntimeError(f"the browser tests need {', '.join(missing)}: {INSTALL_HINT}")


class Bridge:
    def __init__(self) -> None:
        check_installed()
        self._proc = subprocess.Popen(["node", str(BRIDGE)], cwd=HERE, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, bufsize=1)
        self._last = 0

    def send(self, op: str, **args: object) -> object:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._last += 1
        self._proc.stdin.write(json.dumps({"id": self._last, "op": op, **args}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()  # every Playwright call has its own timeout: an answer comes
        if not line:
            raise BrowserError(f"the bridge ended (exit {self._proc.wait(5)})")
        answer = json.loads(line)
        if answer.get("id") != self._last:
            raise BrowserError(f"answer {answer.get('id')} to command {self._last}")
        if "error" in answer:
            raise BrowserError(answer["error"])
        return answer["result"]

    def open(self, base_url: str, locale: str = "fr-CA") -> Page:
        return Page(self, int(self.send("open", locale=locale)), base_url)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@dataclass
class Page:
    """One browser context (its own cookies) with one tab."""

    bridge: Bridge
    id: int
    base_url: str
    # Console errors a test expects (the browser logs every 4xx a page's fetch or navigation gets).
    allowed_console: list[re.Pattern[str]] = field(default_factory=list)
    seen: dict[str, list] = field(default_factory=lambda: {"console": [], "errors": [], "responses": [],
                                                          "violations": [], "dialogs": []})

    def call(self, method: str, *args: object) -> object:
        return self.bridge.send("call", page=self.id, method=method, args=list(args))

    def goto(self, path: str) -> int:
        response = self.call("goto", self.base_url + path)
        if not isinstance(response, dict):
            raise BrowserError(f"{path}: no response (another navigation took over)")
        return int(response["status"])

    def fill(self, selector: str, value: str) -> None:
        self.call("fill", selector, value)

    def click(self, selector: str) -> None:
        self.call("click", selector)

    def select(self, selector: str, value: str) -> None:
        self.call("selectOption", selector, value)

    def text(self, selector: str) -> str:
        return str(self.call("textContent", selector) or "").strip()

    def eval(self, expression: str) -> object:
        return self.call("evaluate", expression)

    def wait(self, expression: str) -> None:
        """Until the JavaScript expression is truthy in the page (10 s at most)."""
        self.bridge.send("waitFor", page=self.id, expression=expression)

    def wait_path(self, pattern: str) -> None:
        """Until the page's path and query match the regular expression."""
        self.wait(f"new RegExp({json.dumps(pattern)}).test(location.pathname + location.search)")
        self.call("waitForLoadState", "load")

    def path(self) -> str:
        return str(self.eval("location.pathname + location.search"))

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.call("screenshot", {"path": str(path), "fullPage": True})

    def events(self) -> dict[str, list]:
        """Everything the page reported so far (kept, and added to at each call)."""
        fresh = self.bridge.send("events", page=self.id)
        assert isinstance(fresh, dict)
        for key, values in fresh.items():
            self.seen[key].extend(values)
        return self.seen

    def allow_console(self, pattern: str) -> None:
        self.allowed_console.append(re.compile(pattern))

    def problems(self) -> list[str]:
        """CSP violations, uncaught errors and console errors the test did not expect."""
        events = self.events()
        found = [f"CSP violation: {v}" for v in events["violations"]]
        found += [f"page error: {e}" for e in events["errors"]]
        found += [f"console {m['type']}: {m['text']}" for m in events["console"]
                  if m["type"] == "error" and not any(p.search(m["text"]) for p in self.allowed_console)]
        return found

    def close(self) -> None:
        self.bridge.send("close", page=self.id)
