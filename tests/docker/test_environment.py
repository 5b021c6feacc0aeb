"""docker/ uses only environment names, configuration keys and commands the project has, and the
containers' environment is a valid production configuration (permanence.config, permanence.cli).
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest

from dialplan.render import render_local
from permanence.cli import build_parser
from permanence.config import AsteriskConfig, load
from permanence.serve import asterisk_settings

from .config_names import (
    config_env_names,
    config_keys,
    dialplan_globals,
    docker_files,
    env_names_used,
    secret_env_names,
    unknown_env_names,
)
from .support import (
    ASTERISK_ENTRYPOINT,
    BACKEND_DOCKERFILE,
    BACKEND_ENTRYPOINT,
    ROOT,
    backend_services,
    dockerfile,
    effective_env,
    interpolate_default,
)


@pytest.mark.parametrize("path", docker_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_environment_name_is_a_configuration_key(path: Path) -> None:
    assert unknown_env_names(env_names_used(path)) == []


@pytest.mark.parametrize("path", docker_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_permanence_name_mentioned_is_known(path: Path) -> None:
    """Anywhere, even in prose: a configuration name or a dialplan global the renderer writes."""
    names = set(re.findall(r"\bPERMANENCE_[A-Z][A-Z0-9_]*\b", path.read_text(encoding="utf-8")))
    assert sorted(names - config_env_names() - dialplan_globals()) == []


def test_dialplan_settings_read_by_asterisk_entrypoint_are_rendered() -> None:
    read = set(re.findall(r"\bsetting (\w+)", ASTERISK_ENTRYPOINT.read_text(encoding="utf-8")))
    assert read == {"PERMANENCE_RECORDINGS", "PERMANENCE_PROMPTS"}
    assert read <= dialplan_globals()
    assert "extensions_local.conf" in ASTERISK_ENTRYPOINT.read_text(encoding="utf-8")


def test_configuration_keys_read_by_the_entrypoint_exist() -> None:
    used = re.findall(r"permanence config-value ([a-z_]+\.[a-z_]+)", BACKEND_ENTRYPOINT.read_text(encoding="utf-8"))
    assert used
    assert sorted(set(used) - config_keys()) == []


def code_of(path: Path) -> str:
    """What a file runs or shows as commands: shell lines without comments; a Markdown file's code."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return "\n".join(re.findall(r"```\w*\n(.*?)```", text, re.DOTALL) + re.findall(r"`([^`\n]+)`", text))
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_permanence_commands_used_exist() -> None:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    used = set()
    for path in docker_files():
        used |= set(re.findall(r"\bpermanence ([a-z][a-z-]+)", code_of(path)))
    assert used >= {"serve", "asterisk-config", "check-config", "config-value", "users"}
    assert sorted(used - set(choices)) == []


def test_compose_commands_are_entrypoint_commands() -> None:
    labels = set(re.findall(r"^\s+(\w+)\)", BACKEND_ENTRYPOINT.read_text(encoding="utf-8"), re.MULTILINE))
    cmd = next(i.args for i in dockerfile(BACKEND_DOCKERFILE) if i.keyword == "CMD")
    used = {json.loads(cmd)[0]}
    used |= {s["command"][0] for s in backend_services().values() if "command" in s}
    assert used == {"render", "serve"}
    assert used <= labels


def test_the_containers_environment_is_a_valid_production_configuration(tmp_path: Path) -> None:
    """What the back end's services get loads in production mode and renders Asterisk's files."""
    empty = tmp_path / "permanence.toml"
    empty.write_text("", encoding="utf-8")
    for name, service in backend_services().items():
        env = {k: (secrets.token_hex(8) if k in secret_env_names() else interpolate_default(v))
               for k, v in effective_env(service).items()}
        config = load(empty, env=env)
        assert config.mode == "production", name
        assert config.web.host == env["PERMANENCE_WEB_HOST"]
        assert str(config.recordings_dir) == env["PERMANENCE_PATHS_RECORDINGS"]
        files = render_local(asterisk_settings(config))
        assert f"bind = 0.0.0.0:{AsteriskConfig().sip_port}" in files["pjsip_transport.conf"]
