"""ivr: menus as data (YAML, see ivr/FORMAT.md), checked and run without I/O, and the names of the
channel variables that the dialplan and the AGI routes share.

    menu = parse(text, "menus/demo.yaml")                 # ivr.loader: MenuError on a bad file
    validate(menu, prompt_exists=..., known_menus=...)    # ivr.validate.validate: MenuError listing problems
    session = Session(menu, language="fr", now=now)       # ivr.engine: step = session.next(answer)

The names below are imported on first use, so that `from ivr import variables` (the dialplan, the
AMI listener) loads neither YAML nor the engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "parse": "ivr.loader", "load_file": "ivr.loader",
    "problems": "ivr.validate",  # validate() itself: from ivr.validate import validate (same name as the module)
    "Session": "ivr.engine", "SessionError": "ivr.engine", "MAX_SILENT_STEPS": "ivr.engine",
    "is_open": "ivr.timecond",
    "Menu": "ivr.model", "MenuError": "ivr.model", "Problem": "ivr.model", "TimeRule": "ivr.model",
    "prompt_refs": "ivr.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ivr' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
