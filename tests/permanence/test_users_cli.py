"""`permanence users add|passwd|list|remove`."""

from __future__ import annotations

import io

from permanence.cli import main
from store import agents, clients, connect, migrate, sessions, users
from store.passwords import verify_password


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


def _run(monkeypatch, config: str, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["-c", config, "users", *args])


def test_add_list_passwd_remove(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    assert _run(monkeypatch, config, "add", "sup", "--role", "supervisor", "--password-stdin",
                stdin="sup-password\n") == 0
    assert _run(monkeypatch, config, "add", "alice", "--role", "client", "--client", "1000", "--password-stdin",
                stdin="alice-password\n") == 0
    assert "user alice (client of 1000)" in capsys.readouterr().out
    assert _run(monkeypatch, config, "list") == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["alice\tclient\t1000\t", "sup\tsupervisor\t\t"]
    assert "scrypt" not in out

    db = connect(store)
    sessions.add_session(db, "s", "alice", "c", "2999-01-01T00:00:00.000Z", None)
    users.add_token(db, "t", "alice", "2999-01-01T00:00:00.000Z")
    assert _run(monkeypatch, config, "passwd", "alice", "--password-stdin", stdin="new-password\n") == 0
    assert "sessions and tokens are revoked" in capsys.readouterr().out
    assert verify_password("new-password", users.get_user(db, "alice").password_hash)
    assert sessions.sessions_of(db, "alice") == 0
    assert db.execute("SELECT count(*) FROM tokens").fetchone()[0] == 0

    assert _run(monkeypatch, config, "remove", "sup") == 0
    assert users.get_user(db, "sup") is None
    db.close()


def test_refusals_say_why(tmp_path, monkeypatch, capsys):
    config, _ = _setup(tmp_path, monkeypatch)
    cases = [
        (("add", "c", "--role", "client", "--password-stdin"), "long-enough-1\n", "needs --client"),
        (("add", "a", "--role", "admin", "--password-stdin"), "short\n", "password too short"),
        (("add", "a", "--role", "supervisor", "--client", "1000", "--password-stdin"), "long-enough-1\n",
         "only a client user is bound"),
        (("passwd", "ghost", "--password-stdin"), "long-enough-1\n", "no user ghost"),
        (("remove", "ghost"), "", "no user ghost"),
    ]
    for args, stdin, error in cases:
        assert _run(monkeypatch, config, *args, stdin=stdin) == 2, args
        assert error in capsys.readouterr().err, args


def test_an_agent_user_is_bound_to_an_existing_agent(tmp_path, monkeypatch, capsys):
    config, store = _setup(tmp_path, monkeypatch)
    db = connect(store)
    agents.add_agent(db, "101", "Alice Agent", "agent-101-secret", "permanence")
    db.close()
    assert _run(monkeypatch, config, "add", "alice", "--role", "agent", "--agent", "101", "--password-stdin",
                stdin="alice-password\n") == 0
    assert "user alice (agent, phone 101)" in capsys.readouterr().out
    assert _run(monkeypatch, config, "add", "bob", "--role", "agent", "--password-stdin", stdin="bob-password\n") != 0
    assert "an agent user needs --agent ID" in capsys.readouterr().err
    assert _run(monkeypatch, config, "add", "bob", "--role", "agent", "--agent", "102", "--password-stdin",
                stdin="bob-password\n") != 0
    assert "no agent '102'" in capsys.readouterr().err
    assert _run(monkeypatch, config, "add", "carl", "--role", "agent", "--agent", "101", "--password-stdin",
                stdin="carl-password\n") != 0
    assert "agent 101 has a web account already (alice)" in capsys.readouterr().err
    assert _run(monkeypatch, config, "add", "dan", "--role", "client", "--client", "1000", "--agent", "101",
                "--password-stdin", stdin="dan-password\n") != 0
    assert "a client user is not bound to an agent id" in capsys.readouterr().err
    assert _run(monkeypatch, config, "add", "sup", "--role", "supervisor", "--agent", "101", "--password-stdin",
                stdin="sup-password\n") == 0
    assert "user sup (supervisor, phone 101)" in capsys.readouterr().out
    assert _run(monkeypatch, config, "list") == 0
    assert capsys.readouterr().out.splitlines() == ["alice\tagent\t\t101", "sup\tsupervisor\t\t101"]
