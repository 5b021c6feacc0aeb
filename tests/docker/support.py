"""Reading docker/: the compose file, the Dockerfiles, and the services' environment, mounts and ports.

No Docker engine runs here, so the files are parsed: enough of compose's and Docker's syntax for the
files in docker/ (and an assertion where they would need more).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
BACKEND_DOCKERFILE = DOCKER / "backend" / "Dockerfile"
ASTERISK_DOCKERFILE = DOCKER / "asterisk" / "Dockerfile"
BACKEND_ENTRYPOINT = DOCKER / "backend" / "entrypoint.sh"
ASTERISK_ENTRYPOINT = DOCKER / "asterisk" / "entrypoint.sh"
ENV_EXAMPLE = DOCKER / "env.example"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined; comments (also inside continuations) dropped."""
    instructions: list[Instruction] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        keyword, _, args = current.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
        current = ""
    assert not current, "Dockerfile ends inside a continuation line"
    return instructions


def dockerfile(path: Path) -> list[Instruction]:
    return parse_dockerfile(path.read_text(encoding="utf-8"))


def dockerfile_env(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in instructions:
        if ins.keyword != "ENV":
            continue
        words = shlex.split(ins.args)
        if "=" not in words[0]:  # legacy form: ENV KEY value
            env[words[0]] = " ".join(words[1:])
            continue
        for word in words:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def dockerfile_copies(instructions: list[Instruction], context: Path = ROOT) -> list[tuple[str, str]]:
    """(source, absolute destination) of every COPY/ADD from the build context."""
    workdir = "/"
    copies = []
    for ins in instructions:
        if ins.keyword == "WORKDIR":
            workdir = posixpath.join(workdir, ins.args)
        if ins.keyword not in ("COPY", "ADD"):
            continue
        words = shlex.split(ins.args)
        if any(w.startswith("--from") for w in words):
            continue
        *sources, dest = (w for w in words if not w.startswith("--"))
        dest_abs = posixpath.normpath(posixpath.join(workdir, dest))
        for src in sources:
            # Into a directory (dest/ or several sources), a file keeps its name; a directory's
            # contents go into the destination itself.
            into_dir = dest.endswith("/") or len(sources) > 1
            if into_dir and not (context / src).is_dir():
                copies.append((src, posixpath.join(dest_abs, posixpath.basename(src))))
            else:
                copies.append((src, dest_abs))
    return copies


def apt_packages(instructions: list[Instruction]) -> set[str]:
    packages: set[str] = set()
    for ins in instructions:
        if ins.keyword != "RUN" or "apt-get install" not in ins.args:
            continue
        words = shlex.split(ins.args)
        start = words.index("install") + 1
        for word in words[start:]:
            if word in ("&&", "||", ";"):
                break
            if not word.startswith("-"):
                packages.add(word)
    return packages


def bootstrap_packages() -> set[str]:
    text = (ROOT / "scripts" / "asterisk-bootstrap").read_text(encoding="utf-8")
    found = re.findall(r"^packages=(\S+)$", text, re.MULTILINE)
    assert len(found) == 1, "scripts/asterisk-bootstrap has no single packages= line"
    return set(found[0].split(","))


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services() -> dict[str, dict]:
    return compose()["services"]


def context_of(service: dict) -> Path:
    build = service["build"]
    return (DOCKER / (build if isinstance(build, str) else build["context"])).resolve()


def dockerfile_of(service: dict) -> Path:
    build = service["build"]
    name = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    return context_of(service) / name


def backend_services() -> dict[str, dict]:
    """The services built from the back end's Dockerfile."""
    return {name: s for name, s in services().items()
            if "build" in s and dockerfile_of(s) == BACKEND_DOCKERFILE}


def interpolate_default(value: str) -> str:
    """Compose's `${VAR:-default}` as compose resolves it with VAR unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def effective_env(service: dict) -> dict[str, str]:
    """The image's ENV overlaid with the service's environment (values as written, uninterpolated)."""
    env = dockerfile_env(dockerfile(dockerfile_of(service))) if "build" in service else {}
    declared = service.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.partition("=")[::2] for item in declared)
    env.update({k: str(v) for k, v in declared.items()})
    return env


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool


def mounts(service: dict) -> list[Mount]:
    result = []
    for spec in service.get("volumes", []):
        if isinstance(spec, dict):
            result.append(Mount(spec["source"], spec["target"], bool(spec.get("read_only"))))
            continue
        parts = spec.split(":")
        assert len(parts) in (2, 3), f"volume {spec!r}: expected SOURCE:TARGET[:MODE]"
        result.append(Mount(parts[0], parts[1], len(parts) == 3 and "ro" in parts[2].split(",")))
    return result


def mount_of(service: dict, volume: str) -> Mount:
    found = [m for m in mounts(service) if m.source == volume]
    assert len(found) == 1, f"expected one mount of volume {volume!r}, got {found}"
    return found[0]


@dataclass(frozen=True)
class Published:
    host_ip: str | None
    published: tuple[int, int] | None
    target: tuple[int, int]
    protocol: str


def _port_range(text: str) -> tuple[int, int]:
    low, _, high = str(text).partition("-")
    return int(low), int(high or low)


def parse_port(spec: str | int | dict) -> Published:
    if isinstance(spec, dict):
        published = spec.get("published")
        return Published(spec.get("host_ip"), _port_range(published) if published is not None else None,
                         _port_range(spec["target"]), spec.get("protocol", "tcp"))
    text, _, protocol = str(spec).partition("/")
    parts = text.split(":")
    assert len(parts) <= 3, f"port {spec!r}: IPv6 host addresses are not handled here"
    host_ip = parts[0] if len(parts) == 3 else None
    published = _port_range(parts[-2]) if len(parts) >= 2 else None
    return Published(host_ip, published, _port_range(parts[-1]), protocol or "tcp")


def exposed(instructions: list[Instruction]) -> list[Published]:
    return [parse_port(word) for ins in instructions if ins.keyword == "EXPOSE" for word in ins.args.split()]
