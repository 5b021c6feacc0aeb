"""`permanence ivr …`: check, apply, roll back and list IVR menus (validated before anything goes live)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ivr.batch import check_menus
from ivr.model import Menu, MenuError
from ivr.validate import oncall_schedules
from recordings.prompts import PromptCatalog
from store import clients, menus
from store import oncall_schedules as schedules

from .cliutil import CLIError, add_command, add_group, in_store, open_db, store_db
from .config import Config


def _read(paths: list[str]) -> list[tuple[Path, str]]:
    out = []
    for name in paths:
        path = Path(name)
        try:
            out.append((path, path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise CLIError(f"{path}: cannot read: {exc}") from None
    return out


def check_files(config: Config, paths: list[str]) -> list[tuple[Path, str, Menu]]:
    """Parse and validate every file; raises CLIError listing every problem of every file."""
    catalog = PromptCatalog.scan(config.prompts_dir)
    db = open_db(config)
    try:
        stored = set(menus.active_menus(db))
        hours = {c.code: c.schedule.hours is not None for c in clients.list_clients(db)}
        oncall = {code: {s.name for s in schedules.list_schedules(db, code)} for code in hours}
    finally:
        db.close()
    files = _read(paths)
    try:
        checked = check_menus([(str(path), text) for path, text in files], stored=stored,
                              prompts_for=lambda code: catalog.for_client(code).exists, has_hours=hours.get,
                              schedules_of=oncall.get)
    except MenuError as exc:
        raise CLIError("menu refused, nothing changed:\n" + str(exc)) from None
    return [(path, text, menu) for (path, text), menu in zip(files, checked, strict=True)]


def cmd_check(config: Config, args: argparse.Namespace) -> int:
    for path, _, menu in check_files(config, args.files):
        print(f"{path}: menu {menu.name} of client {menu.client} is valid ({len(menu.nodes)} nodes)")
    return 0


def cmd_apply(config: Config, args: argparse.Namespace) -> int:
    checked = check_files(config, args.files)
    db = open_db(config)
    try:
        with db.atomic():
            applied = menus.apply_menus(db, [(menu.name, menu.client, str(path), text) for path, text, menu in checked],
                                        {menu.name: oncall_schedules(menu) for _, _, menu in checked})
    except menus.MenuStoreError as exc:
        raise CLIError(str(exc)) from None
    finally:
        db.close()
    for item in applied:
        print(f"menu {item.name} v{item.version} active for client {item.client_code} (next call)")
    return 0


def cmd_rollback(config: Config, args: argparse.Namespace) -> int:
    item = in_store(config, lambda db: menus.rollback_menu(db, args.menu), menus.MenuStoreError)
    print(f"menu {item.name} back to v{item.version} (next call)")
    return 0


def cmd_versions(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        versions = menus.menu_versions(db, args.menu)
    if not versions:
        raise CLIError(f"no menu {args.menu}")
    for version, created, active in versions:
        print(f"v{version}\t{created}\t{'active' if active else ''}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "ivr", "IVR menus: check, apply, roll back")
    p = add_command(group, "check", cmd_check, "validate menu files (YAML); nothing changes")
    p.add_argument("files", nargs="+", metavar="FILE")
    p = add_command(group, "apply", cmd_apply, "validate, store as new versions and activate (all or nothing)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p = add_command(group, "rollback", cmd_rollback, "activate the version before the active one")
    p.add_argument("menu")
    p = add_command(group, "versions", cmd_versions, "list a menu's versions")
    p.add_argument("menu")
