"""What the command modules share: declaring a sub-command, and the error every command may raise."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Command = Callable[..., int]


class CLIError(Exception):
    """A command could not be carried out; the message says why."""


def add_command(parent: argparse._SubParsersAction, name: str, fn: Command, help_text: str) -> argparse.ArgumentParser:
    p = parent.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(fn=fn)
    return p


def add_group(parent: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    p = parent.add_parser(name, help=help_text, description=help_text)
    return p.add_subparsers(dest="action", required=True, metavar="ACTION")
