"""What the admin routes need from the configuration, given to make_app by the wiring (permanence.serve)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aiohttp import web

from dialplan.deploy import Report


class AsteriskAdmin(Protocol):
    """Renders Asterisk's configuration from the store and applies it (dialplan.deploy.Deployer)."""

    async def check(self) -> Report: ...

    async def reload(self) -> Report: ...


@dataclass(frozen=True)
class AdminSettings:
    prompts_dir: Path = Path("svi_prompts")  # the prompt catalog menus are checked against
    default_region: str = "CA"  # for DIDs written nationally
    asterisk: AsteriskAdmin | None = None  # None: check and reload answer 503 (not configured)


SETTINGS = web.AppKey("admin_settings", AdminSettings)
