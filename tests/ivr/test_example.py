"""ivr/examples/demo.yaml: the demo client's menu reads, validates and runs; and the package surface."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import ivr
from ivr.engine import Session
from ivr.loader import load_file
from ivr.model import prompt_refs
from ivr.steps import Ask, Exit, Play, SetLanguage
from ivr.validate import validate

from .menus import TORONTO, walk

DEMO = Path(__file__).parents[2] / "ivr" / "examples" / "demo.yaml"
PROMPTS = ("common:choose-language", "welcome", "menu-main", "common:invalid", "common:no-input", "closed")


def test_the_demo_menu_is_valid_and_needs_these_prompts():
    menu = load_file(DEMO)
    assert (menu.name, menu.client, menu.languages) == ("demo", "1000", ("fr", "en"))
    assert prompt_refs(menu) == PROMPTS
    asked = set()
    validate(menu, prompt_exists=lambda ref, lang: asked.add((ref, lang)) or True)
    assert asked == {(ref, lang) for ref in PROMPTS for lang in ("fr", "en")}


def test_the_demo_menu_by_day_and_by_night():
    menu = load_file(DEMO)
    day = Session(menu, language="fr", now=datetime(2026, 6, 3, 10, 0, tzinfo=TORONTO))
    steps = walk(day, ["2", "*", "9"])
    assert steps[1] == SetLanguage("en")
    assert steps[2] == steps[3] == Ask(("welcome", "menu-main"), 1, 4.0)
    assert steps[-1] == Exit("voicemail", "1000", {"IVR_ACTION": "voicemail", "IVR_TARGET": "1000",
                                                   "IVR_MENU": "demo", "IVR_NODE": "voicemail"})
    for choice, action in (("1", "queue"), ("2", "checkin")):
        assert walk(Session(menu, language="fr", now=day.now), ["1", choice])[-1].action == action
    christmas_eve = datetime(2026, 12, 24, 14, 0, tzinfo=TORONTO)  # a Thursday, in the closure
    night = Session(menu, language="fr", now=christmas_eve)
    assert walk(night, [""])[-2:] == [Play(("closed",)), Exit("voicemail", "1000", {
        "IVR_ACTION": "voicemail", "IVR_TARGET": "1000", "IVR_MENU": "demo", "IVR_NODE": "voicemail"})]


def test_the_package_exports_lazily():
    assert ivr.parse is load_file.__globals__["parse"]
    assert ivr.Session is Session and ivr.prompt_refs is prompt_refs and ivr.MenuError is ivr.model.MenuError
    code = "import sys, ivr.variables; print('yaml' in sys.modules, 'ivr.engine' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["False", "False"]
