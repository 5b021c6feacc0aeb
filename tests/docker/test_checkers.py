"""The checkers these tests use catch drift: unknown names are found in every kind of file, and the
parsers read what they are meant to.
"""

from __future__ import annotations

from pathlib import Path

from .config_names import SHELL_REF, env_names_used, unknown_env_names
from .support import Published, apt_packages, dockerfile_copies, dockerfile_env, parse_dockerfile, parse_port


def test_checker_rejects_a_name_config_does_not_read() -> None:
    assert unknown_env_names({"PERMANENCE_AMI_SECRETT", "PERMANENCE_AMI_SECRET"}) == ["PERMANENCE_AMI_SECRETT"]
    assert unknown_env_names({"PERMANENCE_NOPE_SECRET", "PERMANENCE_WEB"}) == ["PERMANENCE_NOPE_SECRET",
                                                                              "PERMANENCE_WEB"]
    assert unknown_env_names({"PERMANENCE_MODE", "PERMANENCE_CONFIG", "PERMANENCE_STORE_PATH"}) == []


def test_checker_finds_names_in_every_kind_of_file(tmp_path: Path) -> None:
    compose_text = "FOO: ${PERMANENCE_AMI_SECRETT:?set it}\n"
    shell = tmp_path / "x.sh"
    shell.write_text('PERMANENCE_WEB_HOTS=1\necho "$PERMANENCE_PATHS_RECORDING"\n', encoding="utf-8")
    assert unknown_env_names(SHELL_REF.findall(compose_text)) == ["PERMANENCE_AMI_SECRETT"]
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
