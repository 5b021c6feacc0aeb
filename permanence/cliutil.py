"""What the command modules share: declaring a sub-command, and the error every command may raise."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO, TypeVar

import sqlite_utils

from store import connect, migrate

from .config import Config

Command = Callable[..., int]
T = TypeVar("T")


def open_db(config: Config) -> sqlite_utils.Database:
    """The store for a command: created or migrated first, like `permanence serve` does."""
    migrate(config.store.path)
    return connect(config.store.path)


@contextlib.contextmanager
def store_db(config: Config) -> Iterator[sqlite_utils.Database]:
    """open_db for a with-block: the connection is closed whatever happens."""
    db = open_db(config)
    try:
        yield db
    finally:
        db.close()


class CLIError(Exception):
    """A command could not be carried out; the message says why."""


def in_store(config: Config, change: Callable[[sqlite_utils.Database], T], *refusals: type[Exception]) -> T:
    """Run `change` on the store; a refusal of the kinds given (the store's own errors, which say what was
    wrong) is the command's error, its message unchanged."""
    with store_db(config) as db:
        try:
            return change(db)
        except refusals as exc:
            raise CLIError(str(exc)) from None


def add_command(parent: argparse._SubParsersAction, name: str, fn: Command, help_text: str) -> argparse.ArgumentParser:
    p = parent.add_parser(name, help=help_text, description=help_text)
    p.set_defaults(fn=fn)
    return p


def add_group(parent: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    p = parent.add_parser(name, help=help_text, description=help_text)
    return p.add_subparsers(dest="action", required=True, metavar="ACTION")


class Progress:
    """A progress bar on one terminal line (one line per step when the stream is not a terminal)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.width, self.done = total, width, 0
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty()
        self._last = 0

    def _render(self, label: str) -> None:
        if not self.total:
            return  # nothing to do: no bar
        filled = self.width * self.done // self.total
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {label}"
        if self.tty:
            line = line.ljust(self._last)  # blank what is left of a longer line
            self.stream.write("\r" + line)
            self._last = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def start(self, label: str) -> None:
        """Show the step under way."""
        self._render(label)

    def advance(self) -> None:
        self.done += 1

    def finish(self, label: str = "done") -> None:
        self._render(label)
        if self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()
