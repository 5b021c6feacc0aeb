"""Prompt references as menus write them, and the files the AGI route plays for them.

  greeting            the client's own prompt: svi_prompts/clients/<client>/<lang>/greeting.wav
  common:invalid      a project prompt:        svi_prompts/<lang>/invalid.wav
  sys:vm-goodbye      a system prompt from Debian's Asterisk sound packages, played by name in the
                      channel's language (listed in svi_prompts/manifest.toml, not copied into git)

Paths returned are as Asterisk sees the prompts directory, without extension (Asterisk picks the
format).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")

PromptExists = Callable[[str, str], bool]  # (reference, language) -> bool


class PromptError(ValueError):
    """A prompt reference that cannot name a file."""


def split_ref(ref: str) -> tuple[str, str]:
    """('client' | 'common' | 'sys', name); refuses anything that could leave the prompts tree."""
    kind, sep, name = ref.partition(":")
    if not sep:
        kind, name = "client", ref
    if kind not in ("client", "common", "sys") or not _NAME.match(name):
        raise PromptError(f"bad prompt reference {ref!r} (name, common:name or sys:name; a-z 0-9 _ - /)")
    return kind, name


def prompt_file(ref: str, *, client_code: str, language: str, prompts_dir: str) -> str:
    kind, name = split_ref(ref)
    if kind == "sys":
        return name
    if kind == "common":
        return f"{prompts_dir}/{language}/{name}"
    return f"{prompts_dir}/clients/{client_code}/{language}/{name}"
