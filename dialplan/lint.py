"""A rendered /etc/asterisk read the way Asterisk's configuration parser reads it, for what would make
Asterisk refuse a file (or silently lose part of it) — before Asterisk is asked to load it.

Checked: a category header without its closing bracket, a template a category inherits from that is
not defined before it, a line outside any category, an #include of a file that is not there (or
outside the directory), #exec, and a line that is neither `name = value`, `name => value`, a
category nor a directive (Asterisk drops it with a warning). What a module makes of the values is
Asterisk's business: the reload checks that (dialplan.deploy).
"""

from __future__ import annotations

import re
from pathlib import Path

_DIRECTIVE = re.compile(r'^#(include|tryinclude|exec)\s+"?([^"]*?)"?\s*$')
_CATEGORY = re.compile(r"^\[([^\]]*)\]\s*(?:\((.*)\))?\s*$")
_OPTION = re.compile(r"^[^=]+=>?.*$")
MAX_DEPTH = 10


def _strip_comment(line: str) -> str:
    """The line without its ; comment (\\; is a literal semicolon) and surrounding blanks."""
    out, escaped = [], False
    for char in line:
        if char == ";" and not escaped:
            break
        escaped = char == "\\" and not escaped
        out.append(char)
    return "".join(out).strip()


class _File:
    """One top-level file and what it includes, read in order as Asterisk does (includes inline)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.categories: set[str] = set()
        self.current: str | None = None
        self.errors: list[str] = []
        self.included: set[str] = set()

    def read(self, name: str, depth: int = 0) -> None:
        path = self.directory / name
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = _strip_comment(raw)
            if line:
                self.line(name, number, line, depth)

    def line(self, name: str, number: int, line: str, depth: int) -> None:
        where = f"{name}:{number}"
        if line.startswith("#"):
            self.directive(where, line, depth)
        elif line.startswith("["):
            match = _CATEGORY.match(line)
            if match is None:
                self.errors.append(f"{where}: category without its closing ']': {line!r}")
                return
            for template in filter(None, (t.strip() for t in (match[2] or "").split(","))):
                if template not in ("!", "+") and template not in self.categories:
                    self.errors.append(f"{where}: [{match[1]}] inherits from [{template}], not defined before it")
            self.current = match[1]
            self.categories.add(match[1])
        elif self.current is None:
            self.errors.append(f"{where}: outside any [category]: {line!r}")
        elif not _OPTION.match(line):
            self.errors.append(f"{where}: neither 'name = value' nor 'name => value': {line!r}")

    def directive(self, where: str, line: str, depth: int) -> None:
        match = _DIRECTIVE.match(line)
        if match is None:
            self.errors.append(f"{where}: unknown directive {line!r}")
            return
        kind, target = match[1], match[2]
        if kind == "exec":
            self.errors.append(f"{where}: #exec runs a program: not in permanence's configuration")
            return
        if "/" in target or target in ("", ".", ".."):
            self.errors.append(f"{where}: #{kind} {target!r}: only files of the configuration directory")
            return
        if not (self.directory / target).is_file():
            if kind == "include":
                self.errors.append(f"{where}: #include {target!r}: no such file")
            return
        if depth >= MAX_DEPTH:
            self.errors.append(f"{where}: #{kind} {target!r}: includes nested more than {MAX_DEPTH} deep")
            return
        self.included.add(target)
        self.read(target, depth + 1)


def check_directory(directory: Path) -> list[str]:
    """Every problem of the *.conf files of a configuration directory, as 'file:line: message'."""
    names = sorted(p.name for p in directory.glob("*.conf"))
    included: set[str] = set()
    files: dict[str, _File] = {}
    for name in names:
        files[name] = _File(directory)
        files[name].read(name)
        included |= files[name].included
    # A file another one includes is checked in its place (its lines belong to the includer's category).
    return [error for name in names if name not in included for error in files[name].errors]
