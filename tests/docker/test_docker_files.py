"""docker/ agrees with the project: ports, paths, configuration keys, packages, copied files, secrets.

No Docker engine runs here, so the files are parsed and checked against the project itself: the
configuration's defaults (permanence.config), the sandbox's package list (scripts/asterisk-bootstrap),
the renderer (dialplan.render) and the command line (permanence.cli).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import ipaddress
import json
import posixpath
import re
import secrets
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import dialplan.render
from dialplan.render import AsteriskSettings, render_local
from permanence.cli import build_parser
from permanence.config import CONFIG_ENV, ENV_PREFIX, AgiConfig, AmiConfig, AsteriskConfig, Config, WebConfig, load
from permanence.serve import asterisk_settings
from web import make_app

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
BACKEND_DOCKERFILE = DOCKER / "backend" / "Dockerfile"
ASTERISK_DOCKERFILE = DOCKER / "asterisk" / "Dockerfile"
BACKEND_ENTRYPOINT = DOCKER / "backend" / "entrypoint.sh"
ASTERISK_ENTRYPOINT = DOCKER / "asterisk" / "entrypoint.sh"
ENV_EXAMPLE = DOCKER / "env.example"


# --- Parsing -----------------------------------------------------------------------------------


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


# --- Configuration names ----------------------------------------------------------------------


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


_SHELL_REF = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


def env_names_used(path: Path) -> set[str]:
    """Environment names a file sets or reads, by its kind."""
    text = path.read_text(encoding="utf-8")
    names = set(_SHELL_REF.findall(text))  # ${NAME...} (compose) and $NAME / ${NAME} (shell, Dockerfile)
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


# --- The checker catches drift ----------------------------------------------------------------


def test_checker_rejects_a_name_config_does_not_read() -> None:
    assert unknown_env_names({"PERMANENCE_AMI_SECRETT", "PERMANENCE_AMI_SECRET"}) == ["PERMANENCE_AMI_SECRETT"]
    assert unknown_env_names({"PERMANENCE_NOPE_SECRET", "PERMANENCE_WEB"}) == ["PERMANENCE_NOPE_SECRET",
                                                                              "PERMANENCE_WEB"]
    assert unknown_env_names({"PERMANENCE_MODE", "PERMANENCE_CONFIG", "PERMANENCE_STORE_PATH"}) == []


def test_checker_finds_names_in_every_kind_of_file(tmp_path: Path) -> None:
    compose_text = "FOO: ${PERMANENCE_AMI_SECRETT:?set it}\n"
    shell = tmp_path / "x.sh"
    shell.write_text('PERMANENCE_WEB_HOTS=1\necho "$PERMANENCE_PATHS_RECORDING"\n', encoding="utf-8")
    assert unknown_env_names(_SHELL_REF.findall(compose_text)) == ["PERMANENCE_AMI_SECRETT"]
    assert unknown_env_names(env_names_used(shell)) == ["PERMANENCE_PATHS_RECORDING", "PERMANENCE_WEB_HOTS"]
    assert unknown_env_names(dockerfile_env(parse_dockerfile("ENV PERMANENCE_STORE_PTH=/x \\\n  A=b\n"))) == [
        "PERMANENCE_STORE_PTH"]


def test_parsers_read_what_they_are_meant_to() -> None:
    ins = parse_dockerfile("FROM x\n# c\nRUN apt-get update \\\n # inner\n && apt-get install -y \\\n"
                           "    --no-install-recommends a \\\n    b && rm -rf y\nWORKDIR /app\n"
                           "COPY --chmod=0755 s d/\nCOPY t ./t\n")
    assert [i.keyword for i in ins] == ["FROM", "RUN", "WORKDIR", "COPY", "COPY"]
    assert apt_packages(ins) == {"a", "b"}
    assert dockerfile_copies(ins) == [("s", "/app/d/s"), ("t", "/app/t")]
    assert parse_port("10000-10199:10000-10199/udp") == Published(None, (10000, 10199), (10000, 10199), "udp")
    assert parse_port("127.0.0.1:8080:80") == Published("127.0.0.1", (8080, 8080), (80, 80), "tcp")
    assert parse_port("5038") == Published(None, None, (5038, 5038), "tcp")


# --- Environment names --------------------------------------------------------------------------


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


# --- Ports ----------------------------------------------------------------------------------------


def published_ports() -> dict[str, list[Published]]:
    return {name: [parse_port(p) for p in s.get("ports", [])] for name, s in services().items()}


def test_published_ports_are_the_configured_ones() -> None:
    a, w = AsteriskConfig(), WebConfig()
    expected = {
        ((a.sip_port, a.sip_port), "udp"),
        ((a.rtp_start, a.rtp_end), "udp"),
        ((w.port, w.port), "tcp"),
    }
    ports = published_ports()
    assert {name for name, p in ports.items() if p} == {"asterisk"}
    assert {(p.target, p.protocol) for p in ports["asterisk"]} == expected
    for p in ports["asterisk"]:
        assert p.published == p.target, f"{p}: SIP, RTP and web keep their port numbers through NAT"


def test_exposed_ports_are_the_configured_ones() -> None:
    a, w = AsteriskConfig(), WebConfig()
    assert {(p.target, p.protocol) for p in exposed(dockerfile(ASTERISK_DOCKERFILE))} == {
        ((a.sip_port, a.sip_port), "udp"), ((a.rtp_start, a.rtp_end), "udp")}
    assert {(p.target, p.protocol) for p in exposed(dockerfile(BACKEND_DOCKERFILE))} == {((w.port, w.port), "tcp")}


def test_ami_and_fastagi_are_never_published_or_exposed() -> None:
    private = {AmiConfig().port, AgiConfig().port}
    seen: list[Published] = []
    for service in services().values():
        seen += [parse_port(p) for p in service.get("ports", [])]
        seen += [parse_port(p) for p in service.get("expose", [])]
    for path in (ASTERISK_DOCKERFILE, BACKEND_DOCKERFILE):
        seen += exposed(dockerfile(path))
    for p in seen:
        for port in private:
            assert not p.target[0] <= port <= p.target[1], f"{p} exposes {port}"
            assert p.published is None or not p.published[0] <= port <= p.published[1], f"{p} publishes {port}"
    assert all(s.get("network_mode") != "host" for s in services().values())


def test_backend_reaches_ami_and_fastagi_on_loopback() -> None:
    """The back end shares Asterisk's network namespace; AMI and FastAGI keep loopback addresses."""
    s = services()
    assert s["backend"]["network_mode"] == "service:asterisk"
    assert "ports" not in s["backend"]
    for name in backend_services():
        env = effective_env(s[name])
        for var, default in (("PERMANENCE_AMI_HOST", AmiConfig().host), ("PERMANENCE_AGI_HOST", AgiConfig().host)):
            assert ipaddress.ip_address(env.get(var, default)).is_loopback, f"{name}: {var}"


def test_listening_addresses_reach_the_published_ports() -> None:
    for name in backend_services():
        env = effective_env(services()[name])
        assert env["PERMANENCE_WEB_HOST"] == "0.0.0.0"
        assert env["PERMANENCE_ASTERISK_SIP_HOST"] == "0.0.0.0"  # rendered into pjsip_transport.conf
        assert env["PERMANENCE_MODE"] == "production"
        for var in ("PERMANENCE_WEB_PORT", "PERMANENCE_ASTERISK_SIP_PORT", "PERMANENCE_ASTERISK_RTP_START",
                    "PERMANENCE_ASTERISK_RTP_END", "PERMANENCE_AMI_PORT", "PERMANENCE_AGI_PORT"):
            assert var not in env, f"{name}: {var} would differ from the published ports"


def test_backend_healthcheck_asks_the_web_app() -> None:
    test = " ".join(services()["backend"]["healthcheck"]["test"])
    url = re.search(r"http://([\d.]+):(\d+)(/\S*?)'", test)
    assert url, test
    assert int(url.group(2)) == WebConfig().port
    assert ipaddress.ip_address(url.group(1)).is_loopback
    app = make_app(SimpleNamespace(writable=None), ROOT)  # routes only; nothing is served
    assert url.group(3) in {r.canonical for r in app.router.resources()}


# --- Paths and volumes ------------------------------------------------------------------------


def test_shared_directories_are_where_asterisk_and_the_back_end_look() -> None:
    a = AsteriskConfig()
    s = services()
    backend_env = effective_env(s["backend"])
    assert mount_of(s["asterisk"], "recordings") == Mount("recordings", a.recordings_dir, False)
    assert mount_of(s["backend"], "recordings").target == backend_env["PERMANENCE_PATHS_RECORDINGS"]
    assert backend_env["PERMANENCE_PATHS_RECORDINGS"] == a.recordings_dir
    assert mount_of(s["asterisk"], "prompts") == Mount("prompts", a.prompts_dir, True)
    for name in backend_services():
        assert mount_of(s[name], "prompts").target == effective_env(s[name])["PERMANENCE_PATHS_PROMPTS"]
        assert effective_env(s[name])["PERMANENCE_PATHS_PROMPTS"] == a.prompts_dir
    assert mount_of(s["asterisk-config"], "prompts").read_only is False
    assert mount_of(s["backend"], "prompts").read_only is True


def test_store_is_on_a_volume() -> None:
    backend = services()["backend"]
    store = effective_env(backend)["PERMANENCE_STORE_PATH"]
    assert posixpath.isabs(store)
    assert posixpath.dirname(store) in {m.target for m in mounts(backend) if not m.read_only}


def test_rendered_configuration_volume_joins_both_entrypoints() -> None:
    s = services()
    written = shell_variable(BACKEND_ENTRYPOINT, "rendered_dir")
    read = shell_variable(ASTERISK_ENTRYPOINT, "rendered_dir")
    assert mount_of(s["asterisk-config"], "asterisk-etc") == Mount("asterisk-etc", written, False)
    assert mount_of(s["asterisk"], "asterisk-etc") == Mount("asterisk-etc", read, True)
    assert shell_variable(BACKEND_ENTRYPOINT, "marker") == shell_variable(ASTERISK_ENTRYPOINT, "marker")
    assert "asterisk-etc" not in {m.source for m in mounts(s["backend"])}


def test_asterisk_waits_for_the_render_before_starting() -> None:
    s = services()
    assert s["asterisk"]["depends_on"]["asterisk-config"]["condition"] == "service_completed_successfully"
    assert s["backend"]["depends_on"]["asterisk"]["condition"] == "service_healthy"
    assert s["asterisk-config"]["command"] == ["render"]
    assert s["asterisk-config"]["network_mode"] == "none"


def test_every_volume_is_declared_and_used() -> None:
    used = {m.source for s in services().values() for m in mounts(s)}
    assert all(not v.startswith((".", "/")) for v in used), "named volumes only, no host paths"
    assert used == set(compose()["volumes"]) == {"asterisk-etc", "recordings", "prompts", "store"}


def test_backend_image_creates_its_writable_mount_points() -> None:
    """A new named volume takes the ownership of the image's directory: the back end's user's."""
    runs = " ".join(i.args for i in dockerfile(BACKEND_DOCKERFILE) if i.keyword == "RUN")
    created = set()
    for command in re.findall(r"install -d -o permanence -g permanence[^&]*", runs):
        created |= {w for w in command.split() if w.startswith("/")}
    for name, service in backend_services().items():
        for m in mounts(service):
            if not m.read_only:
                assert m.target in created, f"{name}: {m.target} not created for the permanence user"
    users = [i.args for i in dockerfile(BACKEND_DOCKERFILE) if i.keyword == "USER"]
    assert users == ["permanence"]


# --- Files copied ---------------------------------------------------------------------------------


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


# --- Secrets --------------------------------------------------------------------------------------


def test_secrets_come_from_the_environment_and_are_required() -> None:
    """Every secret production needs is passed to the back end's services as ${NAME:?...}."""
    assert secret_env_names() == {"PERMANENCE_AMI_SECRET", "PERMANENCE_ASTERISK_SOFTPHONE_SECRET"}
    for name, service in backend_services().items():
        env = service["environment"]
        for var in secret_env_names():
            assert re.fullmatch(rf"\$\{{{var}:\?[^}}$]+\}}", env[var]), f"{name}: {var}={env[var]!r}"
    assert "environment" not in services()["asterisk"]


def test_no_secret_in_images() -> None:
    for path in (BACKEND_DOCKERFILE, ASTERISK_DOCKERFILE):
        ins = dockerfile(path)
        assert not secret_env_names() & set(dockerfile_env(ins)), path
        assert not [i for i in ins if i.keyword == "ARG" and "SECRET" in i.args.upper()], path


def test_no_secret_value_literal_in_the_files() -> None:
    """No secret, password or token is given a value config would accept as a secret (12+ safe
    characters); the example environment leaves them empty."""
    assignment = re.compile(r"(?i)\b\w*(?:secret|password|passwd|token)\w*\b[\"']?\s*[:=]\s*[\"']?([^\s\"']*)")
    plausible = re.compile(r"[A-Za-z0-9_.@+-]{12,}")
    for path in docker_files():
        for value in assignment.findall(path.read_text(encoding="utf-8")):
            assert not plausible.fullmatch(value), f"{path}: a literal secret {value[:3]}…"
    example = dict(re.findall(r"^([A-Z_]+)=(.*)$", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE))
    assert secret_env_names() <= set(example)
    assert {example[name] for name in secret_env_names()} == {""}


def test_the_env_file_is_kept_out_of_git() -> None:
    assert ".env" in (DOCKER / ".gitignore").read_text(encoding="utf-8").split()
