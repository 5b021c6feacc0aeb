"""What the images hold: COPY sources, the back end's packages, the entrypoints, Asterisk's packages
(the sandbox's, scripts/asterisk-bootstrap) and the files Asterisk is told to read.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

import dialplan.render
from dialplan.render import AsteriskSettings, render_local

from .config_names import docker_files, shell_variable
from .support import (
    ASTERISK_DOCKERFILE,
    ASTERISK_ENTRYPOINT,
    BACKEND_DOCKERFILE,
    BACKEND_ENTRYPOINT,
    ROOT,
    apt_packages,
    bootstrap_packages,
    context_of,
    dockerfile,
    dockerfile_copies,
    dockerfile_of,
    services,
)


@pytest.mark.parametrize("service", sorted(services()), ids=str)
def test_every_copy_source_exists_in_its_context(service: str) -> None:
    s = services()[service]
    context = context_of(s)
    copies = dockerfile_copies(dockerfile(dockerfile_of(s)), context)
    assert copies
    for src, _ in copies:
        assert (context / src).exists(), f"{dockerfile_of(s)}: COPY {src}: not in {context}"


def _ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics, enough for these files: the last pattern matching the path or one of
    its parents wins; '!' re-includes."""
    parents = [posixpath.join(*path.split("/")[: i + 1]) for i in range(path.count("/") + 1)]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        if any(fnmatch.fnmatchcase(p, pattern) for p in parents):
            ignored = not negate
    return ignored


def test_backend_context_sends_what_is_copied_and_not_var() -> None:
    ignore = BACKEND_DOCKERFILE.with_name("Dockerfile.dockerignore")
    patterns = [line.strip() for line in ignore.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    for src, _ in dockerfile_copies(dockerfile(BACKEND_DOCKERFILE)):
        assert not _ignored(src, patterns), f"COPY {src} is excluded by {ignore.name}"
        for child in (ROOT / src).rglob("*") if (ROOT / src).is_dir() else ():
            assert not _ignored(str(child.relative_to(ROOT)), patterns), child
    for secret_place in ("var/demo.toml", "var/permanence.sqlite3", ".venv/bin/python", "permanence.toml",
                         "agi/__pycache__/x.pyc"):
        assert _ignored(secret_place, patterns), secret_place


def test_backend_image_copies_every_package_and_what_it_reads() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    top_level = {p.split(".")[0] for p in pyproject["tool"]["setuptools"]["packages"]}
    copies = dict(dockerfile_copies(dockerfile(BACKEND_DOCKERFILE)))
    assert top_level <= set(copies), f"packages not copied: {sorted(top_level - set(copies))}"
    for needed in ("pyproject.toml", pyproject["project"]["readme"], "etc/asterisk", "svi_prompts",
                   "docker/backend/entrypoint.sh"):
        assert needed in copies, needed
    # Rendering reads etc/asterisk next to the dialplan package's source (ETC_ASTERISK), so both are
    # copied side by side and installed in place (editable), as in a checkout.
    beside = Path(dialplan.render.ETC_ASTERISK).relative_to(Path(dialplan.render.__file__).parents[1])
    assert copies["etc/asterisk"] == posixpath.join(posixpath.dirname(copies["dialplan"]), beside.as_posix())
    runs = [i.args for i in dockerfile(BACKEND_DOCKERFILE) if i.keyword == "RUN"]
    assert any(re.search(r"pip install (--\S+ )*-e \.", r) for r in runs)
    assert shell_variable(BACKEND_ENTRYPOINT, "prompts_src") == copies["svi_prompts"]


def test_entrypoints_are_the_copied_scripts() -> None:
    for path in (BACKEND_DOCKERFILE, ASTERISK_DOCKERFILE):
        ins = dockerfile(path)
        copies = dict(dockerfile_copies(ins, path.parent))
        program = json.loads(next(i.args for i in ins if i.keyword == "ENTRYPOINT"))[0]
        assert program in {posixpath.basename(dest) for dest in copies.values()}


@pytest.mark.parametrize("script", [BACKEND_ENTRYPOINT, ASTERISK_ENTRYPOINT], ids=lambda p: p.parent.name)
def test_entrypoint_is_valid_posix_shell(script: Path) -> None:
    assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert script.stat().st_mode & 0o111, f"{script} is not executable"
    subprocess.run(["sh", "-n", str(script)], check=True)


def test_asterisk_packages_are_the_sandbox_ones() -> None:
    assert apt_packages(dockerfile(ASTERISK_DOCKERFILE)) == bootstrap_packages()
    assert next(i.args for i in dockerfile(ASTERISK_DOCKERFILE) if i.keyword == "FROM") == "debian:sid-slim"


def test_asterisk_runs_the_rendered_configuration_as_its_user() -> None:
    text = ASTERISK_ENTRYPOINT.read_text(encoding="utf-8")
    run = re.findall(r"^exec (.*)$", text, re.MULTILINE)
    assert len(run) == 1
    words = run[0].split()
    assert words[:1] == ["asterisk"] and "-f" in words
    assert words[words.index("-U") + 1] == "asterisk"
    conf = words[words.index("-C") + 1]
    assert posixpath.dirname(conf) == "/etc/asterisk"
    assert (ROOT / "etc" / "asterisk" / posixpath.basename(conf)).is_file()


def test_every_asterisk_file_named_exists() -> None:
    """Each *.conf the docker files name is in etc/asterisk or is one the renderer writes."""
    known = {p.name for p in (ROOT / "etc" / "asterisk").glob("*.conf")}
    rendered = set(render_local(AsteriskSettings("127.0.0.1", 5060, 10000, 10199, "127.0.0.1", 5038, "u",
                                                 "s" * 12, "127.0.0.1", 4573, "/r", "/p")))
    named: set[str] = set()
    for path in docker_files():
        named |= set(re.findall(r"\b([a-z_]+\.conf)\b", path.read_text(encoding="utf-8")))
    assert "asterisk.conf" in named
    assert sorted(named - known - rendered) == []


def test_prompts_have_what_the_asterisk_entrypoint_checks() -> None:
    languages = re.findall(r'-d "\$prompts/(\w+)"', ASTERISK_ENTRYPOINT.read_text(encoding="utf-8"))
    assert languages
    for language in languages:
        assert (ROOT / "svi_prompts" / language).is_dir(), language
