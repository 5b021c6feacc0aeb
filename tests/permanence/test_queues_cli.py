"""`permanence queues add|edit|list|show|remove|apply`: each maps onto store/queues.py; refusals name the
field and change nothing; apply without a configured Asterisk says so and changes nothing."""

from __future__ import annotations

from permanence.cli import main
from store import clients, connect, migrate, queues
from store.queues import PenaltyRule, Queue


def _setup(tmp_path, monkeypatch):
    store = tmp_path / "s.sqlite3"
    monkeypatch.setenv("PERMANENCE_MODE", "demo")
    monkeypatch.setenv("PERMANENCE_STORE_PATH", str(store))
    config = tmp_path / "p.toml"
    config.write_text("")
    migrate(store)
    db = connect(store)
    clients.add_client(db, "1000", "A")
    db.close()
    return str(config), store


def _run(config: str, *args: str) -> int:
    return main(["-c", config, "queues", *args])


def _get(store, name):
    db = connect(store)
    try:
        return queues.get_queue(db, name)
    finally:
        db.close()


def test_add_edit_list_show_remove(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    assert _run(config, "add", "1000-accueil", "--client", "1000", "--label", "Accueil", "--strategy", "linear",
                "--wrapup-s", "12", "--announce-position", "yes", "--announce-frequency-s", "45",
                "--rule", "0:0", "--rule", "30:5", "--overflow-action", "queue",
                "--overflow-target", "operators") == 0
    assert _get(store, "1000-accueil") == Queue(
        "1000-accueil", "1000", label="Accueil", strategy="linear", wrapup_s=12, announce_position=True,
        announce_frequency_s=45, penalty_rules=(PenaltyRule(0, 0), PenaltyRule(30, 5)), overflow_action="queue",
        overflow_target="operators")
    assert _run(config, "add", "operators") == 0
    assert _run(config, "edit", "1000-accueil", "--ring-timeout-s", "25", "--no-rules",
                "--service-level-pct", "90") == 0
    changed = _get(store, "1000-accueil")
    assert (changed.ring_timeout_s, changed.penalty_rules, changed.strategy, changed.wrapup_s) == (25, (), "linear", 12)
    assert changed.service_level_pct == 90
    assert _run(config, "edit", "1000-accueil", "--shared") == 0
    assert _get(store, "1000-accueil").client_code is None
    capsys.readouterr()
    assert _run(config, "list") == 0
    assert capsys.readouterr().out.splitlines() == ["1000-accueil\tshared\tlinear\tAccueil",
                                                    "operators\tshared\trrmemory\t"]
    assert _run(config, "list", "--client", "1000") == 0
    assert capsys.readouterr().out == ""
    assert _run(config, "show", "1000-accueil") == 0
    shown = capsys.readouterr().out.splitlines()
    assert "ring_timeout_s\t25" in shown and "announce_position\tyes" in shown and "rules\t-" in shown
    assert "service_level_pct\t90" in shown
    assert _run(config, "show", "3000-menu", "--defaults") == 0
    assert "strategy\trrmemory" in capsys.readouterr().out
    assert _run(config, "remove", "1000-accueil") == 0
    assert _get(store, "1000-accueil") is None


def test_refusals_say_why_and_change_nothing(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    assert _run(config, "add", "q", "--client", "1000") == 0
    before = _get(store, "q")
    capsys.readouterr()
    cases = [
        (("add", "q"), "queue q exists already"),
        (("add", "Bad"), "queue name 'Bad'"),
        (("add", "x", "--client", "9999"), "queue x: no client 9999"),
        (("edit", "q", "--wrapup-s", "-1"), "queue q: wrapup_s must be a whole number from 0 to 3600"),
        (("edit", "q", "--rule", "30:5", "--rule", "20:6"), "penalty rule 2: after_s 20 must come after"),
        (("edit", "q", "--announce-holdtime", "yes"), "announce_frequency_s must be above 0"),
        (("edit", "q", "--overflow-action", "queue"), "overflow_target must name the queue"),
        (("edit", "nowhere", "--label", "x"), "no queue nowhere"),
        (("show", "nowhere"), "no queue nowhere (--defaults"),
        (("remove", "nowhere"), "no queue nowhere"),
    ]
    for args, message in cases:
        assert _run(config, *args) != 0, args
        assert message in capsys.readouterr().err, args
    assert _get(store, "q") == before and _get(store, "x") is None


def test_apply_without_a_configured_asterisk_changes_nothing(tmp_path, monkeypatch, capsys):
    config, _ = _setup(tmp_path, monkeypatch)
    assert _run(config, "apply") != 0
    err = capsys.readouterr()
    assert "reload is not configured" in err.out and "Asterisk cannot be reached; nothing was changed" in err.err
