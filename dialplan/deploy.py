"""Asterisk's configuration, checked and applied while it runs.

check: render the whole configuration from the store into a scratch directory (write_config) and
read it as Asterisk would (dialplan.lint). Nothing outside the scratch directory changes.

reload: check first; then, on an AMI action connection, write the generated includes whose text
changed into the live directory (atomically, one by one), ask Asterisk to reload the module of each
(pbx_config, app_queue, res_pjsip) and make sure it took them: a reload Asterisk answers with an
error, a queue, queue member or endpoint it does not report afterwards, a queue that runs with another
strategy, max callers or service level than rendered. Any of these puts the
previous files back and reloads again, so the running configuration is the one it was. Files that
only a restart applies (ports, transports, manager users) are written and reported, not reloaded.

Asterisk is reached through `Control` (ami.control implements it on an AMI action connection); its
failures are ControlError. One reload at a time (a lock per Deployer).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from store.queues import Queue

from .lint import check_directory
from .render import ETC_ASTERISK, AsteriskSettings, _write_atomic, queue_names, write_config

log = logging.getLogger(__name__)

# A generated include → the module whose reload reads it. The others need a restart.
RELOADS = {"extensions_local.conf": "pbx_config", "extensions_queues.conf": "pbx_config",
           "queues_local.conf": "app_queue",
           "queuerules_local.conf": "app_queue", "pjsip_local.conf": "res_pjsip"}
MODULE_ORDER = ("res_pjsip", "app_queue", "pbx_config")  # endpoints before the queues that ring them


class ControlError(Exception):
    """Asterisk could not be reached or refused an action; the message says which and why."""


class Control(Protocol):
    async def reload(self, module: str) -> None:
        """Reload one module; ControlError with Asterisk's message if it refuses."""

    async def queues(self) -> dict[str, frozenset[str]]:
        """Every queue Asterisk has → the interfaces of its members."""

    async def queue_params(self) -> dict[str, dict[str, str]]:
        """Every queue Asterisk has → what it runs with, as AMI's QueueParams says (Strategy, Max, …)."""

    async def endpoints(self) -> frozenset[str]:
        """The names of every PJSIP endpoint."""


Connect = Callable[[], AbstractAsyncContextManager[Control]]


@dataclass(frozen=True)
class Report:
    ok: bool
    stage: str = ""  # where it failed: render, check, unavailable, asterisk
    errors: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # generated files whose text differs from the live ones
    reloaded: tuple[str, ...] = ()  # modules Asterisk reloaded
    restart_needed: tuple[str, ...] = ()  # changed files that only a restart of Asterisk applies
    restored: bool = False  # the previous files were put back (and reloaded)


@dataclass(frozen=True)
class _Rendered:
    settings: AsteriskSettings
    generated: dict[str, str]  # file name → text of the configuration-dependent includes


class Deployer:
    def __init__(self, render: Callable[[], AsteriskSettings], live_dir: Path | None, connect: Connect | None,
                 source_dir: Path = ETC_ASTERISK, after_queues: Callable[[], Awaitable[object]] | None = None) -> None:
        """render: the settings from the configuration and the store (blocking; run in a thread);
        live_dir: Asterisk's configuration directory as this process sees it (None: reload is off);
        connect: an AMI action connection (None: reload is off); after_queues: run after each reload that
        went through (ami.members' reconcile: logged-in agents are members of the queues the store gives
        them, new ones included, with their penalty)."""
        self.render, self.live_dir, self.connect, self.source_dir = render, live_dir, connect, source_dir
        self.after_queues = after_queues
        self._lock = asyncio.Lock()

    def _render_and_check(self) -> tuple[_Rendered | None, Report | None]:
        try:
            settings = self.render()
        except ValueError as exc:  # RenderError, a stored menu that no longer parses, …
            return None, Report(False, "render", (str(exc),))
        with tempfile.TemporaryDirectory(prefix="permanence-asterisk-") as scratch:
            directory = Path(scratch)
            try:
                written = write_config(settings, directory, self.source_dir)
            except ValueError as exc:
                return None, Report(False, "render", (str(exc),))
            self.adjust(directory)
            shipped = {p.name for p in self.source_dir.glob("*.conf")}
            generated = {p.name: p.read_text(encoding="utf-8") for p in written if p.name not in shipped}
            errors = check_directory(directory)
        if errors:
            return None, Report(False, "check", tuple(errors))
        return _Rendered(settings, generated), None

    def adjust(self, directory: Path) -> None:
        """A hook on the rendered directory before it is checked (tests break the configuration here)."""

    async def check(self) -> Report:
        rendered, failed = await asyncio.to_thread(self._render_and_check)
        if failed is not None:
            return failed
        assert rendered is not None
        changed, restart = self._changes(rendered.generated)
        return Report(True, changed=tuple(changed), restart_needed=tuple(restart))

    def _changes(self, generated: dict[str, str]) -> tuple[list[str], list[str]]:
        if self.live_dir is None:
            return [], []
        changed = [name for name, text in sorted(generated.items()) if _read(self.live_dir / name) != text]
        return changed, [name for name in changed if name not in RELOADS]

    async def reload(self) -> Report:
        if self.live_dir is None or self.connect is None:
            return Report(False, "unavailable", ("reload is not configured: [asterisk] config_dir and "
                                                 "[ami] action_secret",))
        async with self._lock:
            rendered, failed = await asyncio.to_thread(self._render_and_check)
            if failed is not None:
                return failed
            assert rendered is not None
            changed, restart = self._changes(rendered.generated)
            report = Report(True)
            if changed:
                modules = [m for m in MODULE_ORDER if any(RELOADS.get(name) == m for name in changed)]
                try:
                    async with self.connect() as control:
                        report = await self._swap(control, rendered, changed, restart, modules)
                except ControlError as exc:
                    return Report(False, "unavailable", (str(exc),), tuple(changed))
        if report.ok and self.after_queues is not None:
            # Members are no configuration text: whatever changed (a queue, a penalty, nothing), who is
            # logged in is then a member of the queues it answers, with their penalty.
            try:
                await self.after_queues()
            except ControlError as exc:
                log.warning("asterisk: reloaded, but agents' queue memberships not applied: %s", exc)
        return report

    async def _swap(self, control: Control, rendered: _Rendered, changed: list[str], restart: list[str],
                    modules: list[str]) -> Report:
        live = self.live_dir
        assert live is not None
        previous = {name: _read(live / name) for name in changed}
        try:
            for name in changed:
                _write_atomic(live / name, rendered.generated[name])
            errors, took = await self._apply(control, modules, rendered.settings)
        except BaseException:
            _restore(live, previous)  # whatever stopped us, the files are not left half-new
            raise
        if not errors:
            log.info("asterisk: reloaded %s (%s changed)", ", ".join(modules) or "nothing", ", ".join(changed))
            return Report(True, changed=tuple(changed), reloaded=tuple(modules), restart_needed=tuple(restart))
        log.warning("asterisk: new configuration refused, previous one restored: %s", "; ".join(errors))
        _restore(live, previous)
        # A module that refused kept what it had; those that reloaded read the previous files again.
        again, _ = await self._apply(control, took, None)
        if again:
            log.error("asterisk: reloading the previous configuration failed too: %s", "; ".join(again))
            errors += [f"restoring: {e}" for e in again]
        return Report(False, "asterisk", tuple(errors), tuple(changed), restored=True)

    async def _apply(self, control: Control, modules: list[str],
                     expect: AsteriskSettings | None) -> tuple[list[str], list[str]]:
        """Reload the modules; with `expect`, check Asterisk has what those settings define. The errors,
        and the modules that reloaded."""
        errors, took = [], []
        for module in modules:
            try:
                await control.reload(module)
                took.append(module)
            except ControlError as exc:
                errors.append(f"{module}: {exc}")
        if errors or expect is None:
            return errors, took
        try:
            if "app_queue" in modules:
                errors += _missing_queues(expect, await control.queues())
                errors += _wrong_params(expect, await control.queue_params())
            if "res_pjsip" in modules:
                errors += _missing_endpoints(expect, await control.endpoints())
        except ControlError as exc:
            errors.append(f"checking what Asterisk loaded: {exc}")
        return errors, took


def _missing_queues(s: AsteriskSettings, loaded: dict[str, frozenset[str]]) -> list[str]:
    # Members are not configuration: agents join at login (ami.members).
    return [f"app_queue: queue {q} is not loaded" for q in queue_names(s) if q not in loaded]


def _wrong_params(s: AsteriskSettings, loaded: dict[str, dict[str, str]]) -> list[str]:
    """A value app_queue does not know it replaces with its own (an unknown strategy runs as ringall): what
    it reports must be what was rendered."""
    stored = {q.name: q for q in s.queue_definitions}
    errors = []
    for name in queue_names(s):
        if name not in loaded:
            continue  # _missing_queues said so
        queue = stored.get(name) or Queue(name, None)
        wanted = {"Strategy": queue.strategy, "Max": str(queue.max_callers), "ServiceLevel": str(queue.service_level_s)}
        errors += [f"app_queue: queue {name} runs with {key} {loaded[name].get(key)!r}, not {value!r}"
                   for key, value in wanted.items() if loaded[name].get(key) != value]
    return errors


def _missing_endpoints(s: AsteriskSettings, loaded: frozenset[str]) -> list[str]:
    wanted = [a.id for a in s.agents] + [p.user for p in s.softphones]
    return [f"res_pjsip: endpoint {name} is not loaded" for name in wanted if name not in loaded]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _restore(live: Path, previous: dict[str, str | None]) -> None:
    for name, text in previous.items():
        if text is None:
            (live / name).unlink(missing_ok=True)
        else:
            _write_atomic(live / name, text)
