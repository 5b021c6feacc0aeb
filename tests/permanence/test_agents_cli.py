"""`permanence agents list|reason|reason-remove|reasons`: each maps onto store/agents.py and store/presence.py;
refusals name what was wrong and change nothing."""

from __future__ import annotations

import pytest

from permanence.cli import main
from store import agents, connect, migrate, presence


@pytest.fixture
def config(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite3"
    monkeypatch.setenv("PERMANENCE_MODE", "demo")
    monkeypatch.setenv("PERMANENCE_STORE_PATH", str(store))
    path = tmp_path / "p.toml"
    path.write_text("")
    migrate(store)
    db = connect(store)
    for agent_id, name in (("101", "Alice"), ("102", "Bruno"), ("103", "Chloé")):
        agents.add_agent(db, agent_id, name, f"secret-secret-{agent_id}", "permanence")
        agents.add_member(db, "1000-accueil", agent_id, 0)
    agents.add_member(db, "1000-nuit", "101", 2)
    presence.log_in(db, "101")
    presence.log_in(db, "102")
    presence.set_paused(db, "102", True, "lunch")
    db.close()
    return str(path)


def run(config: str, *args: str) -> int:
    return main(["-c", config, "agents", *args])


def test_list_shows_who_is_logged_in_or_paused(config, capsys):
    assert run(config, "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "101\tAlice\tlogged in\t1000-accueil:0 1000-nuit:2",
        "102\tBruno\tpaused (lunch)\t1000-accueil:0",
        "103\tChloé\tlogged out\t1000-accueil:0"]


def test_reasons_are_added_changed_and_removed(config, capsys):
    assert run(config, "reason", "coaching", "--fr", "Accompagnement", "--en", "Coaching", "--digit", "6") == 0
    assert capsys.readouterr().out == "coaching\t6\tAccompagnement\tCoaching\n"
    assert run(config, "reason", "coaching", "--fr", "Accompagnement", "--en", "Mentoring") == 0
    capsys.readouterr()
    assert run(config, "reasons") == 0
    assert "coaching\t-\tAccompagnement\tMentoring" in capsys.readouterr().out.splitlines()

    assert run(config, "reason", "smoke", "--fr", "Pause", "--en", "Smoke", "--digit", "2") == 2
    assert "digit 2 is reason lunch's already" in capsys.readouterr().err
    assert run(config, "reason", "Bad", "--fr", "x", "--en", "y") == 2
    assert "reason code 'Bad'" in capsys.readouterr().err
    assert run(config, "reason-remove", "lunch") == 2  # agent 102 is paused with it
    assert "agent 102" in capsys.readouterr().err
    assert run(config, "reason-remove", "coaching") == 0
    assert run(config, "reason-remove", "coaching") == 2
    assert "no pause reason 'coaching'" in capsys.readouterr().err
    assert run(config, "reasons") == 0
    codes = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert codes == ["break", "lunch", "training", "backoffice", "meeting"]
