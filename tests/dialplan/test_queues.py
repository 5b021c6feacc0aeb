"""Queues rendered for app_queue: every queue's block and rule compared with golden files (the same data
gives the same bytes), names with no definition taking the defaults, no member lines (agents join at login),
bad definitions refused with a RenderError that names the queue and the field, and the files Asterisk
reads written whole or not at all.

Regenerate the golden files after an intended change with
    PERMANENCE_REGENERATE_GOLDEN=1 pytest tests/dialplan/test_queues.py
and read the diff before committing it."""

from __future__ import annotations

import dataclasses
import os
import random
import re
from pathlib import Path

import pytest

from dialplan import AgentPhone, QueueMember, render_local, write_config
from dialplan.errors import RenderError
from dialplan.lint import check_directory
from dialplan.queues import definitions, music_classes, render_queues
from dialplan.render import ETC_ASTERISK
from store.queues import PenaltyRule, Queue

from .test_render import SETTINGS

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("PERMANENCE_REGENERATE_GOLDEN") == "1"

STORED = (
    Queue("1000-accueil", "1000", label="Accueil", strategy="leastrecent", ring_timeout_s=20, retry_s=3,
          wrapup_s=10, max_callers=5, max_wait_s=120, announce_position=True, announce_holdtime=True,
          announce_frequency_s=30, service_level_s=30, penalty_rules=(PenaltyRule(0, 0), PenaltyRule(30, 5)),
          overflow_action="queue", overflow_target="1000-nuit"),
    Queue("2000-support", "2000", strategy="ringall", wrapup_s=0, penalty_rules=(PenaltyRule(15, 10),),
          overflow_action="callback", callback_offer=True),
    Queue("shared-operators", None, strategy="fewestcalls", max_callers=20),
)
SETTINGS_Q = dataclasses.replace(
    SETTINGS, fallback_queue="operators", queues=("1000-accueil", "3000-menu"), queue_definitions=STORED,
    agents=(AgentPhone("101", "Alice", "a" * 32), AgentPhone("102", "Bruno", "b" * 32)),
    members=(QueueMember("1000-accueil", "101", 0), QueueMember("1000-accueil", "102", 5),
             QueueMember("2000-support", "102")))


@pytest.mark.parametrize("name", ["queues_local.conf", "queuerules_local.conf", "extensions_queues.conf"])
def test_the_rendered_queues_match_the_golden_files(name):
    text = render_local(SETTINGS_Q)[name]
    golden = GOLDEN / name
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} differs from {golden} (see this module's doc)"


def test_callers_of_a_queue_with_rules_start_at_its_first_skills():
    """app_queue applies a rule only after a round of ringing: where the skills start is the dialplan's
    (a rule at 0 s, else penalty 0 only); queues without rules are not there (every member)."""
    skills = render_local(SETTINGS_Q)["extensions_queues.conf"]
    assert "exten => 1000-accueil,1,Set(QUEUE_MAX_PENALTY=0)\n same => n,Return()\n" in skills
    assert "exten => 2000-support,1,Set(QUEUE_MAX_PENALTY=0)\n" in skills  # its first rule is at 15 s
    assert "shared-operators" not in skills and "operators" not in skills
    wider = dataclasses.replace(STORED[0], penalty_rules=(PenaltyRule(0, 3), PenaltyRule(20, 9)))
    out = render_local(dataclasses.replace(SETTINGS_Q, queue_definitions=(wider, *STORED[1:])))
    assert "exten => 1000-accueil,1,Set(QUEUE_MAX_PENALTY=3)\n" in out["extensions_queues.conf"]
    dialplan = (ETC_ASTERISK / "extensions.conf").read_text()
    assert '#include "extensions_queues.conf"' in dialplan
    lines = dialplan.splitlines()
    queued = [i for i, line in enumerate(lines) if re.search(r"(n|\d),Queue\(", line)]
    assert queued and all("Gosub(permanence-queue-start,s,1(" in lines[i - 1] for i in queued)  # before each


def test_queues_the_dialplan_cannot_tell_apart_cannot_have_rules():
    twin = Queue("1000accueil", None)
    with pytest.raises(RenderError, match="queues 1000-accueil and 1000accueil: the dialplan cannot tell"):
        render_local(dataclasses.replace(SETTINGS_Q, queue_definitions=(*STORED, twin)))
    plain = dataclasses.replace(STORED[0], penalty_rules=())
    render_local(dataclasses.replace(SETTINGS_Q, queue_definitions=(plain, STORED[2], twin)))  # no rules: fine


def test_the_template_leaves_every_setting_to_the_queue():
    """app_queue reads a static queue's strategy as the first `strategy` of its section, where a
    template's lines come first: the template must set nothing a queue's block sets."""
    conf = (ETC_ASTERISK / "queues.conf").read_text()
    template = conf.split("[permanence-queue](!)")[1].split("#include")[0]
    keys = {line.split("=")[0].strip() for line in template.splitlines() if "=" in line.split(";")[0]}
    block = render_local(SETTINGS_Q)["queues_local.conf"].split("\n\n")[1]
    assert keys and not keys & {line.split(" = ")[0] for line in block.splitlines() if " = " in line}, keys


def test_rendering_is_deterministic_whatever_the_order_of_the_data():
    shuffled = list(STORED)
    random.Random(7).shuffle(shuffled)
    other = dataclasses.replace(SETTINGS_Q, queue_definitions=tuple(reversed(shuffled)),
                                queues=tuple(reversed(SETTINGS_Q.queues)), members=SETTINGS_Q.members[::-1])
    assert render_local(other)["queues_local.conf"] == render_local(SETTINGS_Q)["queues_local.conf"]
    assert render_local(other)["queuerules_local.conf"] == render_local(SETTINGS_Q)["queuerules_local.conf"]


def test_every_queue_something_names_is_rendered_and_names_without_a_row_take_the_defaults():
    queues = {q.name: q for q in definitions(["1000-accueil", "3000-menu", "operators"], STORED,
                                             music_classes(ETC_ASTERISK / "musiconhold.conf"))}
    # the menus', the fallback, the stored ones and the queue 1000-accueil overflows to
    assert sorted(queues) == ["1000-accueil", "1000-nuit", "2000-support", "3000-menu", "operators",
                              "shared-operators"]
    assert queues["3000-menu"] == Queue("3000-menu", None) and queues["1000-nuit"] == Queue("1000-nuit", None)
    text = render_local(SETTINGS_Q)["queues_local.conf"]
    block = text[text.index("[3000-menu]"):].split("\n\n")[0]
    assert "strategy = rrmemory\ntimeout = 15\nretry = 2\nwrapuptime = 5\nmaxlen = 0\n" in block
    assert "defaultrule" not in block


def test_no_member_lines_agents_join_at_login_and_a_rule_is_named_after_its_queue():
    out = render_local(SETTINGS_Q)
    block = out["queues_local.conf"].split("[1000-accueil](permanence-queue)\n")[1].split("\n\n")[0]
    assert "member" not in out["queues_local.conf"]  # 101 and 102 answer it once logged in (ami.members)
    assert block.endswith("defaultrule = 1000-accueil") and "strategy = leastrecent\n" in block
    assert "[1000-accueil]\npenaltychange => 0,0\npenaltychange => 30,5\n" in out["queuerules_local.conf"]
    assert "[shared-operators]" not in out["queuerules_local.conf"]  # no rules: no rule section


def test_the_rendered_files_are_what_asterisk_reads(tmp_path):
    write_config(SETTINGS_Q, tmp_path)
    assert check_directory(tmp_path) == []
    assert '#include "queuerules_local.conf"' in (tmp_path / "queuerules.conf").read_text()
    assert (tmp_path / "queuerules_local.conf").read_text() == render_local(SETTINGS_Q)["queuerules_local.conf"]


@pytest.mark.parametrize(("bad", "message"), [
    (dataclasses.replace(STORED[0], strategy="random"), "queue 1000-accueil: strategy must be one of"),
    (dataclasses.replace(STORED[0], wrapup_s=-5), "queue 1000-accueil: wrapup_s must be a whole number"),
    (dataclasses.replace(STORED[0], penalty_rules=(PenaltyRule(30, 5), PenaltyRule(10, 6))),
     "queue 1000-accueil: penalty rule 2: after_s 10 must come after"),
    (dataclasses.replace(STORED[0], music_class="jazz"),
     "queue 1000-accueil: music class 'jazz' is not in musiconhold.conf (default)"),
    (dataclasses.replace(STORED[0], name="general"), "queue name 'general' is reserved"),
    (dataclasses.replace(STORED[0], name="Accueil"), "queue name 'Accueil'"),
])
def test_a_bad_definition_is_refused_naming_the_queue_and_what(bad, message):
    with pytest.raises(RenderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render_local(dataclasses.replace(SETTINGS_Q, queue_definitions=(bad, *STORED[1:])))


def test_a_member_that_is_no_agent_or_of_a_queue_not_rendered_is_refused():
    with pytest.raises(RenderError, match="queue 1000-accueil: member '999' is not an agent"):
        render_local(dataclasses.replace(SETTINGS_Q, members=(QueueMember("1000-accueil", "999"),)))
    with pytest.raises(RenderError, match="member 101 of queue nowhere: the queue is not rendered"):
        render_queues([Queue("a", None)], [QueueMember("nowhere", "101")], {"101": "Alice"}, "")


def test_a_refused_definition_leaves_the_written_files_alone(tmp_path):
    write_config(SETTINGS_Q, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    bad = dataclasses.replace(SETTINGS_Q, queue_definitions=(dataclasses.replace(STORED[0], retry_s=0),))
    with pytest.raises(RenderError, match="retry_s"):
        write_config(bad, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary file left either
