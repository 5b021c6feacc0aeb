"""Admin API, IVR menus: check, apply, versions and rollback are `permanence ivr …` — the same check with
the same messages (file, node, field, line), all or nothing; supervisors read menus, change none."""

from __future__ import annotations

import pytest

from permanence import config as cfg
from permanence.cliutil import CLIError
from permanence.ivr_cli import check_files
from store import menus
from tests.support import REPO

from .admin_support import DEMO_MENU, admin_app, menu_item


@pytest.fixture
async def api(tmp_path):
    async with admin_app(tmp_path) as app:
        yield app


BROKEN = DEMO_MENU.read_text("utf-8").replace("    timeout: 4\n", "    timout: 4\n").replace(
    "next: hours", "next: nowhere")


async def test_check_accepts_the_demo_menu_and_changes_nothing(api):
    status, body = await api.call("POST", "/api/admin/ivr/check", menu_item())
    assert status == 200 and body["menus"][0]["name"] == "demo" and body["menus"][0]["client_code"] == "1000"
    assert await api.store.read(menus.active_menus) == {}


async def test_a_refused_menu_gives_the_cli_s_own_messages_with_their_lines(api, tmp_path):
    status, body = await api.call("POST", "/api/admin/ivr/check", menu_item(BROKEN, source="demo.yaml"))
    assert status == 400 and body["field"] == "menus"
    problems = {(p["node"], p["field"]): p for p in body["problems"]}
    assert problems[("language", "timout")]["line"] is not None
    assert "did you mean 'timeout'" in problems[("language", "timout")]["message"]
    # The CLI on the same text, named the same: the very same lines.
    path = tmp_path / "demo.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    config = cfg.replace(cfg.load(env={"PERMANENCE_MODE": "demo"}),
                         store={"path": str(tmp_path / "cli.sqlite3")},
                         paths={"prompts": str(REPO / "svi_prompts")})
    with pytest.raises(CLIError) as caught:
        check_files(config, [str(path)])
    cli_lines = str(caught.value).replace(str(path), "demo.yaml").splitlines()
    assert body["error"].splitlines() == cli_lines
    assert [p["text"] for p in body["problems"]] == cli_lines[1:]


async def test_apply_is_all_or_nothing_then_versions_and_rollback(api):
    other = DEMO_MENU.read_text("utf-8").replace("menu: demo", "menu: demo-night")
    status, body = await api.call("POST", "/api/admin/ivr/apply", {"menus": [
        {"source": "demo.yaml", "yaml": DEMO_MENU.read_text("utf-8")}, {"source": "night.yaml", "yaml": BROKEN}]})
    assert status == 400 and {p["source"] for p in body["problems"]} == {"night.yaml"}
    assert await api.store.read(menus.active_menus) == {}  # the good one did not go live either

    status, body = await api.call("POST", "/api/admin/ivr/apply", {"menus": [
        {"source": "demo.yaml", "yaml": DEMO_MENU.read_text("utf-8")}, {"source": "night.yaml", "yaml": other}]})
    assert status == 200, body
    assert [(m["name"], m["version"]) for m in body["applied"]] == [("demo", 1), ("demo-night", 1)]
    changed = DEMO_MENU.read_text("utf-8").replace("queue: 1000-accueil", "queue: 1000-nuit")
    status, body = await api.call("POST", "/api/admin/ivr/apply", menu_item(changed))
    assert status == 200 and body["applied"][0]["version"] == 2

    status, one = await api.call("GET", "/api/admin/menus/demo", login="sup")
    assert status == 200 and one["version"] == 2 and "1000-nuit" in one["yaml"]
    assert [(v["version"], v["active"]) for v in one["versions"]] == [(2, True), (1, False)]
    status, listed = await api.call("GET", "/api/admin/menus?client=1000", login="sup")
    assert [m["name"] for m in listed["menus"]] == ["demo", "demo-night"]
    assert (await api.call("GET", "/api/admin/menus?client=2000"))[1]["menus"] == []

    assert (await api.call("POST", "/api/admin/menus/demo/rollback", login="sup"))[0] == 404
    status, body = await api.call("POST", "/api/admin/menus/demo/rollback")
    assert status == 200 and body["version"] == 1
    status, versions = await api.call("GET", "/api/admin/menus/demo/versions")
    assert [(v["version"], v["active"]) for v in versions["versions"]] == [(2, False), (1, True)]
    status, body = await api.call("POST", "/api/admin/menus/demo/rollback")
    assert status == 409 and "nothing to roll back to" in body["error"]
    assert (await api.call("POST", "/api/admin/menus/nosuch/rollback"))[0] == 404
    assert (await api.call("GET", "/api/admin/menus/nosuch"))[0] == 404
    assert (await api.call("GET", "/api/admin/menus/nosuch/versions"))[0] == 404


async def test_a_menu_name_of_another_client_is_a_409(api):
    assert (await api.call("POST", "/api/admin/ivr/apply", menu_item()))[0] == 200
    theirs = ('menu: demo\nclient: "2000"\nlanguages: [fr]\ntimezone: America/Toronto\nentry: bye\n'
              'nodes:\n  bye: {type: hangup, prompt: "common:goodbye"}\n')
    status, body = await api.call("POST", "/api/admin/ivr/apply", menu_item(theirs))
    assert status == 409 and "belongs to client 1000" in body["error"]
    assert (await api.call("POST", "/api/admin/ivr/apply", menu_item(theirs.replace("menu: demo", "menu: b"))))[0] \
        == 200


async def test_supervisors_and_clients_cannot_check_or_apply(api):
    for login in ("sup", "alice"):
        for path in ("/api/admin/ivr/check", "/api/admin/ivr/apply"):
            assert (await api.call("POST", path, menu_item(), login=login))[0] == 404
    assert (await api.call("GET", "/api/admin/menus", login="alice"))[0] == 404


@pytest.mark.parametrize("body", [
    {}, {"menus": []}, {"menus": "demo: x"}, {"menus": [{"yaml": 3}]}, {"menus": [{"text": "x"}]},
    {"menus": [{"source": "", "yaml": "x"}]}, {"menus": [{"yaml": "x"}] * 21},
])
async def test_malformed_menu_bodies_are_a_400_on_menus(api, body):
    status, answer = await api.call("POST", "/api/admin/ivr/check", body)
    assert status == 400 and answer["field"] == "menus"
