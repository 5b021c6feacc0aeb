from __future__ import annotations

import os
import re
import wave
from pathlib import Path

import pytest

from ivr.prompts import PromptError, prompt_file
from recordings.prompts import (
    CatalogError,
    PromptCatalog,
    missing_system_sounds,
    prompt_path,
    sandbox_root,
    sources,
    system_sound_dir,
)
from tests.support import REPO

MANIFEST = """\
[system]
vm-goodbye = ["en", "fr"]
"digits/1" = ["en", "fr"]
is = ["en"]
"""


def wav(path: Path, frames: int = 800) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * frames)
    return path


def text(path: Path, words: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(words + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "prompts"
    for lang in ("fr", "en"):
        wav(root / lang / "greeting.wav")
        wav(root / "clients" / "1000" / lang / "welcome.wav")
    wav(root / "fr" / "invalid.wav")  # no English
    wav(root / "clients" / "1000" / "fr" / "menu" / "main.wav")  # name with a slash
    wav(root / "clients" / "2000" / "en" / "welcome.wav")
    (root / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    return root


def test_scan_finds_the_three_kinds(tree):
    catalog = PromptCatalog.scan(tree)
    assert catalog.common == {"greeting": {"fr", "en"}, "invalid": {"fr"}}
    assert catalog.clients == {"1000": {"welcome": {"fr", "en"}, "menu/main": {"fr"}}, "2000": {"welcome": {"en"}}}
    assert catalog.system == {"vm-goodbye": {"en", "fr"}, "digits/1": {"en", "fr"}, "is": {"en"}}
    assert catalog.problems == ()
    assert catalog.all_languages() == ["en", "fr"]


def test_other_formats_asterisk_plays_count_and_text_alone_does_not(tree):
    (tree / "en" / "invalid.gsm").write_bytes(b"\xd8" * 33)
    text(tree / "en" / "goodbye.txt", "Goodbye")
    catalog = PromptCatalog.scan(tree)
    assert catalog.exists("common:invalid", "en")
    assert not catalog.exists("common:goodbye", "en")


def test_exists_per_kind_and_language(tree):
    catalog = PromptCatalog.scan(tree)
    exists = catalog.for_client("1000").exists
    assert exists("common:greeting", "fr") and exists("common:greeting", "en")
    assert exists("common:invalid", "fr") and not exists("common:invalid", "en")
    assert exists("welcome", "en") and exists("menu/main", "fr") and not exists("menu/main", "en")
    assert not exists("closed", "fr")
    assert exists("sys:vm-goodbye", "fr") and exists("sys:digits/1", "en")
    assert exists("sys:is", "en") and not exists("sys:is", "fr") and not exists("sys:beep", "en")
    assert not exists("common:greeting", "de")
    # another client's prompts are its own
    assert not catalog.for_client("2000").exists("welcome", "fr")
    assert catalog.for_client("2000").exists("welcome", "en")
    assert catalog.exists("welcome", "fr", client="1000")
    assert not catalog.for_client("3000").exists("welcome", "fr")


def test_exists_refuses_what_is_not_a_question(tree):
    catalog = PromptCatalog.scan(tree)
    with pytest.raises(CatalogError, match="needs a client"):
        catalog.exists("welcome", "fr")  # a client prompt of no client
    for bad in ("../etc/passwd", "other:x", "Welcome", "common:"):
        with pytest.raises(PromptError):
            catalog.for_client("1000").exists(bad, "fr")
    with pytest.raises(CatalogError, match="client code"):
        catalog.for_client("../1")


def test_languages_and_missing(tree):
    catalog = PromptCatalog.scan(tree).for_client("1000")
    assert catalog.languages("common:invalid") == {"fr"}
    assert catalog.languages("sys:is") == {"en"}
    assert catalog.languages("nothing") == frozenset()
    assert catalog.missing(["welcome", "common:invalid", "sys:is", "menu/main", "closed"], ["fr", "en"]) == [
        ("common:invalid", "en"), ("sys:is", "fr"), ("menu/main", "en"), ("closed", "fr"), ("closed", "en")]
    assert catalog.missing(["welcome", "common:greeting", "sys:vm-goodbye"], ["fr", "en"]) == []
    assert catalog.refs() == ["common:greeting", "common:invalid", "menu/main", "welcome",
                              "sys:digits/1", "sys:is", "sys:vm-goodbye"]


def test_scan_reports_files_no_reference_can_name(tree):
    wav(tree / "fr" / "Bad Name.wav")
    wav(tree / "clients" / "acme" / "fr" / "welcome.wav")
    (tree / "fr" / "notes.md").write_text("not a prompt")
    catalog = PromptCatalog.scan(tree)
    assert "Bad Name" not in str(catalog.common)
    assert any("Bad Name.wav: not a usable prompt name" in p for p in catalog.problems)
    assert any("acme: not a client code" in p for p in catalog.problems)
    assert len(catalog.problems) == 2


def test_manifest_errors_name_the_file(tree):
    manifest = tree / "manifest.toml"
    for content, reason in (
        ("[system\n", "unreadable manifest"),
        ('[system]\n"../x" = ["fr"]\n', "bad prompt reference"),
        ("[system]\nbeep = []\n", "must list its languages"),
        ('[system]\nbeep = "fr"\n', "must list its languages"),
        ('system = ["beep"]\n', "must be a table"),
    ):
        manifest.write_text(content)
        with pytest.raises(CatalogError, match=f"{re.escape(str(manifest))}: .*{reason}"):
            PromptCatalog.scan(tree)
    manifest.unlink()
    assert PromptCatalog.scan(tree).system == {}
    with pytest.raises(CatalogError, match="no prompts directory"):
        PromptCatalog.scan(tree / "absent")


def test_prompt_path_agrees_with_the_agi_route(tree):
    for ref, client in (("common:greeting", None), ("welcome", "1000"), ("menu/main", "1000")):
        expected = prompt_file(ref, client_code=client or "", language="fr", prompts_dir=str(tree))
        assert prompt_path(tree, ref, "fr", client) == Path(expected + ".wav")
    with pytest.raises(CatalogError, match="system prompts"):
        prompt_path(tree, "sys:beep", "fr")
    with pytest.raises(CatalogError, match="needs a client"):
        prompt_path(tree, "welcome", "fr")
    with pytest.raises(CatalogError, match="bad language"):
        prompt_path(tree, "common:greeting", "../fr")


def test_sources_list_texts_with_their_prompt_files(tree):
    text(tree / "fr" / "greeting.txt", "Bonjour")
    text(tree / "en" / "goodbye.txt", "Goodbye")  # no .wav yet
    text(tree / "clients" / "1000" / "fr" / "welcome.txt", "Bienvenue")
    text(tree / "clients" / "2000" / "en" / "welcome.txt", "Welcome")
    found = {(s.ref, s.client, s.language): s for s in sources(tree)}
    assert set(found) == {("common:greeting", None, "fr"), ("common:goodbye", None, "en"),
                          ("welcome", "1000", "fr"), ("welcome", "2000", "en")}
    greeting = found[("common:greeting", None, "fr")]
    assert greeting.audio_path == tree / "fr" / "greeting.wav" and greeting.read_text() == "Bonjour"
    assert [s.ref for s in sources(tree, client="1000")] == ["welcome"]
    assert sources(tree, client="1000")[0].text_path == tree / "clients" / "1000" / "fr" / "welcome.txt"


def test_a_source_is_stale_without_prompt_or_when_its_text_is_newer(tree):
    txt = text(tree / "fr" / "greeting.txt", "Bonjour")
    (source,) = [s for s in sources(tree) if s.name == "greeting"]
    os.utime(txt, (1_000, 1_000))
    os.utime(source.audio_path, (2_000, 2_000))
    assert not source.is_stale()
    os.utime(txt, (3_000, 3_000))
    assert source.is_stale()
    source.audio_path.unlink()
    assert source.is_stale()


def test_sandbox_root_follows_asterisk_bootstrap():
    assert sandbox_root({"PERMANENCE_ASTERISK_ROOT": "/x/root", "HOME": "/h"}) == Path("/x/root")
    assert sandbox_root({"XDG_CACHE_HOME": "/c", "HOME": "/h"}) == Path("/c/permanence/asterisk-sid")
    assert sandbox_root({"HOME": "/h"}) == Path("/h/.cache/permanence/asterisk-sid")
    assert sandbox_root({"PERMANENCE_ASTERISK_ROOT": "", "XDG_CACHE_HOME": "", "HOME": "/h"}) == \
        Path("/h/.cache/permanence/asterisk-sid")


def fake_chroot(root: Path, with_fr_link: bool = False) -> Path:
    """Debian's layout: en is an absolute alternatives link inside the root, fr is June's directory."""
    sounds = root / "usr/share/asterisk/sounds"
    for voice, names in (("en_US_f_Allison", ("vm-goodbye.gsm", "digits/1.wav", "is.gsm")),
                         ("fr_CA_f_June", ("vm-goodbye.wav", "digits/1.gsm"))):
        for name in names:
            (sounds / voice / name).parent.mkdir(parents=True, exist_ok=True)
            (sounds / voice / name).write_bytes(b"x")
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/asterisk-prompt-en").symlink_to("/usr/share/asterisk/sounds/en_US_f_Allison")
    (sounds / "en").symlink_to("/etc/alternatives/asterisk-prompt-en")
    if with_fr_link:
        (sounds / "fr").symlink_to("fr_CA_f_June")
    return root


@pytest.mark.parametrize("with_fr_link", [False, True])
def test_system_sounds_are_found_inside_a_chroot(tmp_path, tree, with_fr_link):
    root = fake_chroot(tmp_path / "root", with_fr_link)
    sounds = root / "usr/share/asterisk/sounds"
    assert system_sound_dir(root, "en") == sounds / "en_US_f_Allison"
    assert system_sound_dir(root, "fr").resolve() == (sounds / "fr_CA_f_June").resolve()
    assert system_sound_dir(root, "de") is None
    manifest = PromptCatalog.scan(tree).system
    assert missing_system_sounds(manifest, root) == []
    (sounds / "fr_CA_f_June" / "digits" / "1.gsm").unlink()
    assert missing_system_sounds({**manifest, "is": frozenset({"en", "fr"})}, root) == ["digits/1 (fr)", "is (fr)"]


def test_the_repository_prompts_are_complete_and_in_prompt_format():
    prompts = REPO / "svi_prompts"
    catalog = PromptCatalog.scan(prompts)
    assert catalog.problems == ()
    common = ["greeting", "not-in-service", "technical-difficulty", "choose-language", "invalid", "no-input",
              "goodbye", "you-entered", "press-1-or-2", "enter-client-code", "enter-pin", "checkin-failed",
              "checkin-locked", "checkin-welcome", "please-hold", "callback-later"]
    demo = ["welcome", "menu-main", "closed"]
    refs = [f"common:{n}" for n in common] + demo + ["sys:vm-goodbye", "sys:beep", "sys:digits/0", "sys:digits/9"]
    assert catalog.missing(refs, ["fr", "en"], client="1000") == []
    for source in sources(prompts):
        assert source.read_text(), source.text_path
        with wave.open(str(source.audio_path), "rb") as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2), source.audio_path
            assert w.getnframes() > 8000 * 0.5, source.audio_path
    assert {s.ref for s in sources(prompts)} >= {f"common:{n}" for n in common} | set(demo)


def test_links_inside_a_chroot_are_followed_from_its_root(tmp_path):
    root = tmp_path / "root"
    sounds = root / "usr/share/asterisk/sounds"
    (sounds / "en_GB_f_Other").mkdir(parents=True)
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/asterisk-prompt-en").symlink_to("/usr/share/asterisk/sounds/en_GB_f_Other")
    (sounds / "en").symlink_to("/etc/alternatives/asterisk-prompt-en")
    assert system_sound_dir(root, "en") == sounds / "en_GB_f_Other"
    (sounds / "loop").symlink_to("loop")
    assert system_sound_dir(root, "loop") is None


@pytest.mark.asterisk
def test_every_manifest_entry_exists_in_the_sandbox_sound_packages():
    root = sandbox_root()
    assert (root / "usr/share/asterisk/sounds").is_dir(), f"no Asterisk root at {root}: run scripts/asterisk-bootstrap"
    manifest = PromptCatalog.scan(REPO / "svi_prompts").system
    assert len(manifest) > 20
    assert missing_system_sounds(manifest, root) == []
