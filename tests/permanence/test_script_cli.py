"""`permanence script …`: the store's script with the admin API's checks, as the JSON the API takes."""

from __future__ import annotations

import copy
import json

from store import connect
from store import scripts as store_scripts
from tests.callscript.sample import SCRIPT

from .test_contacts_cli import _run, _setup


def test_script_set_show_clear(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    assert _run(monkeypatch, config, "script", "show", "1000") == 0
    assert json.loads(capsys.readouterr().out) == {"questions": []}
    assert _run(monkeypatch, config, "script", "set", "1000", "-", stdin=json.dumps(SCRIPT)) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [q["key"] for q in shown["questions"]] == [q["key"] for q in SCRIPT["questions"]]
    db = connect(store)
    assert store_scripts.get_script(db, "1000").as_json() == shown
    db.close()
    # A refusal names the question and field, keeps the script; an unknown client is said so.
    broken = copy.deepcopy(SCRIPT)
    broken["questions"][3]["type"] = "bool"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    assert _run(monkeypatch, config, "script", "set", "1000", str(path)) == 2
    assert f"{path}: questions[3] (running).type: must be one of" in capsys.readouterr().err
    assert _run(monkeypatch, config, "script", "set", "1000", "-", stdin="{") == 2
    assert "not JSON" in capsys.readouterr().err
    assert _run(monkeypatch, config, "script", "show", "9999") == 2
    assert "no client 9999" in capsys.readouterr().err
    assert _run(monkeypatch, config, "script", "show", "1000") == 0
    assert json.loads(capsys.readouterr().out) == shown
    assert _run(monkeypatch, config, "script", "clear", "1000") == 0
    capsys.readouterr()
    assert _run(monkeypatch, config, "script", "show", "1000") == 0
    assert json.loads(capsys.readouterr().out) == {"questions": []}
