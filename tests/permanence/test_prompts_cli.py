from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import wave
from pathlib import Path

import pytest

from permanence import cli, prompts_cli
from permanence.cliutil import CLIError, Progress
from permanence.config import load
from permanence.prompts_cli import PromptToolError, register


@pytest.fixture
def prompts(tmp_path) -> Path:
    root = tmp_path / "prompts"
    root.mkdir()
    return root


@pytest.fixture
def config(tmp_path, prompts):
    toml = tmp_path / "permanence.toml"
    toml.write_text("")
    return load(toml, env={"PERMANENCE_PATHS_PROMPTS": str(prompts), "PERMANENCE_MODE": "demo"})


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content + "\n", encoding="utf-8")
    return path


def fmt(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth()


def test_register_declares_the_group_on_the_top_level_parser():
    """As permanence.cli.build_parser calls it: register(sub), next to ivr_cli.register(sub)."""
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    for argv, fn in ((["prompts", "synth", "--client", "1000", "--force"], prompts_cli.cmd_synth),
                     (["prompts", "say", "1000", "fr", "welcome", "Bonjour"], prompts_cli.cmd_say),
                     (["prompts", "import", "1000", "fr", "welcome", "x.mp3"], prompts_cli.cmd_import),
                     (["prompts", "list"], prompts_cli.cmd_list),
                     (["prompts", "check-system"], prompts_cli.cmd_check_system)):
        assert parser.parse_args(argv).fn is fn
    args = parser.parse_args(["prompts", "synth", "--client", "1000", "--force"])
    assert (args.client, args.force, args.speed) == ("1000", True, 150)
    assert issubclass(PromptToolError, CLIError)  # permanence.cli.main reports it like its own errors


def test_synth_regenerates_only_stale_prompts_with_a_progress_bar(config, prompts, capsys):
    fresh = write(prompts / "fr" / "greeting.txt", "Bonjour")
    kept = prompts / "fr" / "greeting.wav"
    kept.write_bytes(b"a recorded voice, newer than its text")
    os.utime(fresh, (1_000, 1_000))
    stale = write(prompts / "en" / "greeting.txt", "Hello")
    (prompts / "en" / "greeting.wav").write_bytes(b"old")
    os.utime(prompts / "en" / "greeting.wav", (1_000, 1_000))
    write(prompts / "clients" / "1000" / "fr" / "welcome.txt", "Bienvenue")  # no .wav yet

    assert run(config, ["prompts", "synth"]) == 0
    out, err = capsys.readouterr()
    assert kept.read_bytes() == b"a recorded voice, newer than its text"
    assert fmt(stale.with_suffix(".wav")) == (8000, 1, 2)
    assert fmt(prompts / "clients" / "1000" / "fr" / "welcome.wav") == (8000, 1, 2)
    assert f"[{'.' * 30}] 0/2 en/greeting.wav" in err
    assert f"[{'#' * 15}{'.' * 15}] 1/2 clients/1000/fr/welcome.wav" in err
    assert f"[{'#' * 30}] 2/2 done" in err
    assert out.splitlines() == ["en/greeting.wav", "clients/1000/fr/welcome.wav",
                                "synthesized 2 prompt(s), 1 up to date"]

    assert run(config, ["prompts", "synth"]) == 0
    out, err = capsys.readouterr()
    assert out == "synthesized 0 prompt(s), 3 up to date\n" and err == ""

    assert run(config, ["prompts", "synth", "--client", "1000", "--force"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "synthesized 1 prompt(s), 0 up to date"
    assert run(config, ["prompts", "synth", "--client", "common", "--force"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "synthesized 2 prompt(s), 0 up to date"
    assert fmt(kept) == (8000, 1, 2)  # --force remakes even a recording


def test_synth_failure_names_the_file(config, prompts, capsys):
    write(prompts / "en" / "a.txt", "Fine")
    bad = write(prompts / "xx" / "b.txt", "Guten Tag")  # no voice for that language (after en)
    expected = f"synthesis of {re.escape(str(bad))} failed after 1 prompt.*no espeak-ng voice"
    with pytest.raises(PromptToolError, match=expected):
        run(config, ["prompts", "synth"])
    assert "failed" in capsys.readouterr().err
    assert not bad.with_suffix(".wav").exists()


def test_synth_needs_the_prompts_directory(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text("")
    config = load(toml, env={"PERMANENCE_PATHS_PROMPTS": str(tmp_path / "none"), "PERMANENCE_MODE": "demo"})
    with pytest.raises(PromptToolError, match="no prompts directory"):
        run(config, ["prompts", "synth"])


def test_say_writes_the_text_and_the_prompt(config, prompts, capsys):
    assert run(config, ["prompts", "say", "1000", "fr", "closed", "Nos bureaux sont fermés."]) == 0
    txt = prompts / "clients" / "1000" / "fr" / "closed.txt"
    assert txt.read_text(encoding="utf-8") == "Nos bureaux sont fermés.\n"
    assert fmt(txt.with_suffix(".wav")) == (8000, 1, 2)
    assert str(txt.with_suffix(".wav")) in capsys.readouterr().out
    assert run(config, ["prompts", "synth"]) == 0
    assert "synthesized 0 prompt(s), 1 up to date" in capsys.readouterr().out

    assert run(config, ["prompts", "say", "common", "en", "goodbye", "Goodbye."]) == 0
    assert fmt(prompts / "en" / "goodbye.wav") == (8000, 1, 2)


def test_say_failure_leaves_the_text_as_it_was(config, prompts):
    txt = write(prompts / "clients" / "1000" / "de" / "welcome.txt", "Alt")
    with pytest.raises(PromptToolError, match="no espeak-ng voice"):
        run(config, ["prompts", "say", "1000", "de", "welcome", "Neu"])
    assert txt.read_text() == "Alt\n"
    with pytest.raises(PromptToolError, match="no espeak-ng voice"):
        run(config, ["prompts", "say", "1000", "de", "other", "Neu"])
    assert not txt.with_name("other.txt").exists()
    for bad in (["abc", "fr", "x", "t"], ["1000", "fr", "../x", "t"], ["1000", "fr", "common:x", "t"],
                ["1000", "f/r", "x", "t"], ["1000", "fr", "x", "  "]):
        with pytest.raises(PromptToolError):
            run(config, ["prompts", "say", *bad])


def test_import_converts_into_place(config, prompts, tmp_path, capsys):
    src = tmp_path / "studio.flac"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(src), "synth", "2", "sine", "300"], check=True)
    assert run(config, ["prompts", "import", "1000", "en", "welcome", str(src)]) == 0
    dst = prompts / "clients" / "1000" / "en" / "welcome.wav"
    assert fmt(dst) == (8000, 1, 2)
    with wave.open(str(dst), "rb") as w:
        assert abs(w.getnframes() / 8000 - 2.0) < 0.05
    assert f"→ {dst} (2.0 s" in capsys.readouterr().out

    write(dst.with_suffix(".txt"), "Welcome")
    assert run(config, ["prompts", "import", "1000", "en", "welcome", str(src)]) == 0
    assert "stays as the script" in capsys.readouterr().err


def test_import_refuses_a_bad_upload_and_writes_nothing(config, prompts, tmp_path):
    fake = tmp_path / "fake.wav"
    fake.write_text("I am text, not sound")
    with pytest.raises(PromptToolError, match=f"{re.escape(str(fake))}: not an audio file"):
        run(config, ["prompts", "import", "1000", "fr", "welcome", str(fake)])
    long = tmp_path / "long.wav"
    subprocess.run(["sox", "-n", "-r", "8000", str(long), "synth", "3", "sine", "300"], check=True)
    with pytest.raises(PromptToolError, match=f"{re.escape(str(long))}: too long"):
        run(config, ["prompts", "import", "1000", "fr", "welcome", str(long), "--max-seconds", "2"])
    assert list(prompts.rglob("*")) == []


def test_list_shows_languages_and_gaps(config, prompts, capsys):
    for path in ("fr/greeting.wav", "en/greeting.wav", "fr/invalid.wav", "clients/1000/fr/welcome.wav",
                 "clients/1000/en/welcome.wav", "clients/1000/fr/closed.wav", "clients/2000/en/welcome.wav"):
        (prompts / path).parent.mkdir(parents=True, exist_ok=True)
        (prompts / path).write_bytes(b"")
    (prompts / "manifest.toml").write_text('[system]\nvm-goodbye = ["en", "fr"]\nis = ["en"]\n')

    assert run(config, ["prompts", "list", "--client", "1000"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("common (")
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.startswith("  ")}
    assert rows == {
        "common:greeting": ["en", "fr"],
        "common:invalid": ["--", "fr", "missing", "en"],
        "closed": ["--", "fr", "missing", "en"],
        "welcome": ["en", "fr"],
        "sys:is": ["en", "--", "missing", "fr"],
        "sys:vm-goodbye": ["en", "fr"],
    }
    assert "client 1000 (" in "\n".join(lines) and "client 2000" not in "\n".join(lines)
    assert lines[-1] == "6 prompt(s) in en, fr; 3 missing"

    assert run(config, ["prompts", "list"]) == 0
    out = capsys.readouterr().out
    assert "client 2000 (" in out and out.splitlines()[-1] == "7 prompt(s) in en, fr; 4 missing"
    with pytest.raises(PromptToolError, match="client 3000 has no prompts"):
        run(config, ["prompts", "list", "--client", "3000"])


def test_check_system_against_an_asterisk_root(config, prompts, tmp_path, capsys):
    (prompts / "manifest.toml").write_text('[system]\nbeep = ["en", "fr"]\n')
    sounds = tmp_path / "root" / "usr/share/asterisk/sounds"
    (sounds / "en_US_f_Allison").mkdir(parents=True)
    (sounds / "en_US_f_Allison" / "beep.gsm").write_bytes(b"x")
    (sounds / "fr_CA_f_June").mkdir()
    with pytest.raises(PromptToolError, match=r"1 system sound\(s\) .* beep \(fr\)"):
        run(config, ["prompts", "check-system", "--root", str(tmp_path / "root")])
    (sounds / "fr_CA_f_June" / "beep.wav").write_bytes(b"x")
    assert run(config, ["prompts", "check-system", "--root", str(tmp_path / "root")]) == 0
    assert "1 system sound(s) of the manifest found" in capsys.readouterr().out
    with pytest.raises(PromptToolError, match="asterisk-bootstrap"):
        run(config, ["prompts", "check-system", "--root", str(tmp_path / "nothing")])


def test_progress_bar_redraws_one_line_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    bar = Progress(4, stream, width=8)
    bar.start("a long label")
    bar.advance()
    bar.start("b")
    bar.finish()
    assert stream.getvalue() == ("\r[........] 0/4 a long label"
                                 "\r[##......] 1/4 b           "
                                 "\r[##......] 1/4 done        \n")


def test_main_reports_errors_like_permanence(tmp_path, monkeypatch, capsys):
    toml = tmp_path / "c.toml"
    toml.write_text(f'mode = "demo"\n[paths]\nprompts = "{tmp_path / "p"}"\n')
    (tmp_path / "p").mkdir()
    assert cli.main(["-c", str(toml), "prompts", "say", "1000", "xx", "n", "t"]) == 2
    assert capsys.readouterr().err.startswith("permanence: ")
    assert cli.main(["-c", str(toml), "prompts", "list"]) == 0


def run(config, argv: list[str]) -> int:
    """Parse `prompts …` as the permanence command does and run it with this configuration."""
    args = cli.build_parser().parse_args(argv)
    return args.fn(config, args)
