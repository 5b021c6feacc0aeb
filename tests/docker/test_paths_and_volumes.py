"""docker/'s volumes join Asterisk and the back end where both look, and the back end can write them."""

from __future__ import annotations

import posixpath
import re

from permanence.config import AsteriskConfig

from .config_names import shell_variable
from .support import (
    ASTERISK_ENTRYPOINT,
    BACKEND_DOCKERFILE,
    BACKEND_ENTRYPOINT,
    Mount,
    backend_services,
    compose,
    dockerfile,
    effective_env,
    mount_of,
    mounts,
    services,
)


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
    assert used == set(compose()["volumes"]) == {"asterisk-etc", "asterisk-log", "recordings", "prompts", "store"}


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
