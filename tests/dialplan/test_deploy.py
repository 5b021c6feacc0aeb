"""dialplan.deploy against a stand-in Asterisk: check changes nothing; reload writes only what changed,
reloads only its modules, and puts the previous files back (and reloads them) whenever Asterisk
refuses or does not show what was written; unreachable Asterisk: nothing written at all."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dialplan import AgentPhone, QueueMember, write_config
from dialplan.deploy import Deployer
from dialplan.render import RenderError
from store.queues import Queue

from .fake_control import FakeAsterisk
from .test_render import SETTINGS

BASE = dataclasses.replace(SETTINGS, queues=("1000-accueil",), agents=(AgentPhone("101", "Alice", "a" * 32),),
                           members=(QueueMember("1000-accueil", "101"),))
WITH_103 = dataclasses.replace(BASE, agents=(*BASE.agents, AgentPhone("103", "Carol", "c" * 32)),
                               members=(*BASE.members, QueueMember("1000-nuit", "103")))


@pytest.fixture
def live(tmp_path) -> Path:
    """Asterisk's directory as `permanence asterisk-config` wrote it at start."""
    directory = tmp_path / "etc"
    write_config(BASE, directory)
    return directory


def snapshot(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.glob("*.conf"))}


def deployer(live: Path, asterisk: FakeAsterisk, settings) -> Deployer:
    holder = {"settings": settings}
    made = Deployer(lambda: holder["settings"], live, asterisk.connect)
    made.holder = holder  # type: ignore[attr-defined]
    return made


async def test_check_renders_and_reads_the_whole_configuration_without_touching_the_live_one(live):
    asterisk, before = FakeAsterisk(live), snapshot(live)
    report = await deployer(live, asterisk, WITH_103).check()
    assert report.ok and report.errors == ()
    assert report.changed == ("pjsip_local.conf", "queues_local.conf") and report.restart_needed == ()
    assert snapshot(live) == before and asterisk.reloads == []


async def test_check_reports_what_asterisk_would_refuse_and_what_cannot_be_rendered(live):
    class Broken(Deployer):
        def adjust(self, directory: Path) -> None:
            with (directory / "queues_local.conf").open("a") as out:
                out.write("\n[unclosed\n")

    report = await Broken(lambda: BASE, live, FakeAsterisk(live).connect).check()
    assert not report.ok and report.stage == "check"
    assert any(e.startswith("queues_local.conf:") and "closing ']'" in e for e in report.errors)
    bad = dataclasses.replace(BASE, members=(QueueMember("1000-accueil", "999"),))
    report = await Deployer(lambda: bad, live, None).check()
    assert not report.ok and report.stage == "render" and "not an agent" in report.errors[0]

    def fails():
        raise RenderError("queue name 'X': a-z, 0-9 and - only")

    assert (await Deployer(fails, live, None).check()).stage == "render"


async def test_reload_writes_what_changed_and_reloads_its_modules_only(live):
    asterisk = FakeAsterisk(live)
    report = await deployer(live, asterisk, WITH_103).reload()
    assert report.ok, report
    assert report.reloaded == ("res_pjsip", "app_queue") and asterisk.reloads == ["res_pjsip", "app_queue"]
    # The queue 103 answers exists now; 103 joins it when it logs in (no static member lines).
    assert "103" in asterisk.endpoints_loaded and asterisk.queues_loaded["1000-nuit"] == frozenset()
    expected = live.parent / "expected"
    write_config(WITH_103, expected)
    assert snapshot(live) == snapshot(expected)
    again = await deployer(live, asterisk, WITH_103).reload()
    assert again.ok and again.changed == () and asterisk.reloads == ["res_pjsip", "app_queue"]  # nothing to do


async def test_files_only_a_restart_applies_are_written_and_reported(live):
    asterisk = FakeAsterisk(live)
    report = await deployer(live, asterisk, dataclasses.replace(BASE, rtp_end=20199)).reload()
    assert report.ok and report.restart_needed == ("rtp_local.conf",) and report.reloaded == ()
    assert "rtpend = 20199" in (live / "rtp_local.conf").read_text() and asterisk.reloads == []


@pytest.mark.parametrize(("refuse", "keep_old"), [({"app_queue"}, set()), (set(), {"res_pjsip"}),
                                                  (set(), {"app_queue"})],
                         ids=["reload-refused", "endpoints-not-taken", "queues-not-taken"])
async def test_a_refused_configuration_is_rolled_back_and_reloaded(live, refuse, keep_old):
    asterisk = FakeAsterisk(live, refuse=refuse, keep_old=keep_old)
    before, loaded = snapshot(live), (asterisk.queues_loaded, asterisk.endpoints_loaded)
    report = await deployer(live, asterisk, WITH_103).reload()
    assert not report.ok and report.stage == "asterisk" and report.restored
    assert report.errors and all(e.split(":")[0] in ("app_queue", "res_pjsip") for e in report.errors)
    assert snapshot(live) == before
    assert asterisk.reloads[:2] == ["res_pjsip", "app_queue"]  # then the same again, on the previous files
    asterisk.refuse.clear()
    asterisk.keep_old.clear()
    assert (asterisk.queues_loaded, asterisk.endpoints_loaded) == loaded


async def test_an_unreachable_asterisk_changes_no_file(live):
    asterisk = FakeAsterisk(live, unreachable=True)
    before = snapshot(live)
    report = await deployer(live, asterisk, WITH_103).reload()
    assert not report.ok and report.stage == "unavailable" and "cannot log in" in report.errors[0]
    assert snapshot(live) == before


async def test_reload_is_off_without_a_live_directory_or_an_action_user(live):
    for made in (Deployer(lambda: BASE, None, FakeAsterisk(live).connect), Deployer(lambda: BASE, live, None)):
        report = await made.reload()
        assert not report.ok and report.stage == "unavailable" and "not configured" in report.errors[0]


async def test_a_file_that_did_not_exist_is_removed_again_on_rollback(live):
    (live / "queues_local.conf").unlink()
    asterisk = FakeAsterisk(live, refuse={"app_queue"})
    report = await deployer(live, asterisk, WITH_103).reload()
    assert report.restored and not (live / "queues_local.conf").exists()


async def test_a_queue_setting_asterisk_replaces_with_its_own_is_rolled_back(live):
    """app_queue runs an unknown strategy as ringall and says nothing: the reload compares what it reports
    (QueueStatus' QueueParams) with what was rendered."""
    class UnknownStrategy(Deployer):
        def adjust(self, directory: Path) -> None:
            path = directory / "queues_local.conf"
            path.write_text(path.read_text().replace("strategy = linear", "strategy = linea"))

    asterisk, before = FakeAsterisk(live), snapshot(live)
    stored = dataclasses.replace(BASE, queue_definitions=(Queue("1000-accueil", None, strategy="linear",
                                                                max_callers=3, service_level_s=45),))
    report = await UnknownStrategy(lambda: stored, live, asterisk.connect).reload()
    assert not report.ok and report.restored
    assert report.errors == ("app_queue: queue 1000-accueil runs with Strategy 'ringall', not 'linear'",)
    assert snapshot(live) == before and asterisk.params_loaded["1000-accueil"]["Strategy"] == "rrmemory"
    report = await deployer(live, asterisk, stored).reload()
    assert report.ok and report.reloaded == ("app_queue",), report
    assert asterisk.params_loaded["1000-accueil"] == {"Strategy": "linear", "Max": "3", "ServiceLevel": "45"}
