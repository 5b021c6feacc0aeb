"""`permanence script …`: a client's script (store/scripts.py, with the admin API's checks) as the JSON the
admin API takes and answers: {"questions": [...]}."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from callscript import ScriptError
from store import clients
from store import scripts as store_scripts

from .cliutil import CLIError, add_command, add_group, store_db
from .config import Config


def _print(questions: list) -> None:
    print(json.dumps({"questions": questions}, ensure_ascii=False, indent=2))


def cmd_show(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        if clients.get_client(db, args.client) is None:
            raise CLIError(f"no client {args.client}")
        script = store_scripts.get_script(db, args.client)
    _print(script.as_json()["questions"] if script else [])
    return 0


def cmd_set(config: Config, args: argparse.Namespace) -> int:
    """Replace the script from a JSON file (`-` for stdin); a refusal names the question and its field."""
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise CLIError(f"{args.file}: not JSON ({exc})") from None
    with store_db(config) as db:
        try:
            script = store_scripts.set_script(db, args.client, given)
        except ScriptError as exc:
            raise CLIError(f"{args.file}: {exc}") from None
    _print(script.as_json()["questions"])
    return 0


def cmd_clear(config: Config, args: argparse.Namespace) -> int:
    with store_db(config) as db:
        store_scripts.clear_script(db, args.client)
    print(f"client {args.client} has no script")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = add_group(sub, "script", "a client's script: the questions its agents ask on a call")
    p = add_command(group, "show", cmd_show, 'print a client\'s script as JSON {"questions": [...]}')
    p.add_argument("client")
    p = add_command(group, "set", cmd_set, "replace a client's script from a JSON file as the admin API takes")
    p.add_argument("client")
    p.add_argument("file", help='{"questions": [...]} (- for stdin)')
    p = add_command(group, "clear", cmd_clear, "remove a client's script")
    p.add_argument("client")
