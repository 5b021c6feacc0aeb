"""The names the project defines, for checking docker/ against them: the configuration's environment
names and keys (permanence.config), the dialplan globals the renderer writes (dialplan.render), and
the environment names each file in docker/ sets or reads.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

from dialplan.render import AsteriskSettings, render_local
from permanence.config import CONFIG_ENV, ENV_PREFIX, Config

from .support import COMPOSE, DOCKER, ENV_EXAMPLE, compose, dockerfile


def config_env_names() -> set[str]:
    """Every environment name permanence.config reads: PERMANENCE_MODE, PERMANENCE_CONFIG and one
    PERMANENCE_<SECTION>_<KEY> per field of each section."""
    names = {f"{ENV_PREFIX}MODE", CONFIG_ENV}
    defaults = Config()
    for section in dataclasses.fields(Config):
        value = getattr(defaults, section.name)
        if dataclasses.is_dataclass(value):
            names |= {f"{ENV_PREFIX}{section.name.upper()}_{key.name.upper()}"
                      for key in dataclasses.fields(value)}
    return names


def config_keys() -> set[str]:
    """SECTION.KEY of every configuration key (what `permanence config-value` takes)."""
    defaults = Config()
    return {f"{section.name}.{key.name}"
            for section in dataclasses.fields(Config)
            if dataclasses.is_dataclass(getattr(defaults, section.name))
            for key in dataclasses.fields(getattr(defaults, section.name))}


def secret_env_names() -> set[str]:
    return {name for name in config_env_names() if name.endswith("SECRET")}


def dialplan_globals() -> set[str]:
    """The PERMANENCE_* dialplan globals the renderer writes (extensions_local.conf)."""
    settings = AsteriskSettings("127.0.0.1", 5060, 10000, 10199, "127.0.0.1", 5038, "u", "s" * 12,
                                "127.0.0.1", 4573, "/r", "/p")
    return set(re.findall(r"^(PERMANENCE_\w+) = ", render_local(settings)["extensions_local.conf"], re.MULTILINE))


def unknown_env_names(names: set[str] | list[str]) -> list[str]:
    """The PERMANENCE_* names among these that permanence.config does not read."""
    valid = config_env_names()
    return sorted(n for n in names if n.startswith(ENV_PREFIX) and n not in valid)


SHELL_REF = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


def env_names_used(path: Path) -> set[str]:
    """Environment names a file sets or reads, by its kind."""
    text = path.read_text(encoding="utf-8")
    names = set(SHELL_REF.findall(text))  # ${NAME...} (compose) and $NAME / ${NAME} (shell, Dockerfile)
    if path == COMPOSE:
        data = compose()
        for service in data["services"].values():
            declared = service.get("environment") or {}
            names |= set(declared if isinstance(declared, dict) else (i.partition("=")[0] for i in declared))
        for key, value in data.items():  # x- extension fields holding an environment
            if key.startswith("x-") and isinstance(value, dict):
                names |= {name for name in value if name.isupper()}
    elif path.name == "Dockerfile":
        for ins in dockerfile(path):
            if ins.keyword in ("ENV", "ARG"):
                names |= {w.partition("=")[0] for w in shlex.split(ins.args) if "=" in w}
                if ins.keyword == "ARG" or "=" not in ins.args.split()[0]:
                    names.add(ins.args.split()[0].partition("=")[0])
    elif path == ENV_EXAMPLE:
        names |= set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    else:
        names |= set(re.findall(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    return names


def docker_files() -> list[Path]:
    return sorted(p for p in DOCKER.rglob("*") if p.is_file())


def shell_variable(path: Path, name: str) -> str:
    found = re.findall(rf"^{name}=(\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(found) == 1, f"{path}: expected one literal {name}="
    return found[0]
