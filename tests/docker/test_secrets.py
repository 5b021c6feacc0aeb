"""Secrets come from the environment at run time: none in the images or the files, none in git."""

from __future__ import annotations

import re

from .config_names import docker_files, secret_env_names
from .support import (
    ASTERISK_DOCKERFILE,
    BACKEND_DOCKERFILE,
    DOCKER,
    ENV_EXAMPLE,
    backend_services,
    dockerfile,
    dockerfile_env,
    services,
)


def test_secrets_come_from_the_environment_and_are_required() -> None:
    """Every secret production needs is passed to the back end's services as ${NAME:?...}."""
    assert secret_env_names() == {"PERMANENCE_AMI_SECRET", "PERMANENCE_AMI_ACTION_SECRET",
                                  "PERMANENCE_AMI_ORIGINATE_SECRET",
                                  "PERMANENCE_ASTERISK_SOFTPHONE_SECRET"}
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
