"""Configuration, layered: defaults → permanence.toml → PERMANENCE_<SECTION>_<KEY> environment.

Every key lives in a section; the environment name of `[ami] secret` is PERMANENCE_AMI_SECRET.
A bad file or value raises ConfigError naming where it came from.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from .config_checks import validate
from .config_dispatch import DispatchConfig, EmailConfig, SmsConfig
from .config_sections import (
    MODES,
    AgiConfig,
    AmiConfig,
    AsteriskConfig,
    CallbackConfig,
    Config,
    ConfigError,
    IvrConfig,
    PathsConfig,
    PhoneConfig,
    StoreConfig,
    WebConfig,
)

__all__ = [
    "CONFIG_ENV", "ENV_PREFIX", "MODES", "AgiConfig", "AmiConfig", "AsteriskConfig", "CallbackConfig", "Config",
    "ConfigError", "DispatchConfig", "EmailConfig", "IvrConfig", "PathsConfig", "PhoneConfig", "SmsConfig",
    "StoreConfig", "WebConfig", "load", "replace", "validate",
]

ENV_PREFIX = "PERMANENCE_"
CONFIG_ENV = "PERMANENCE_CONFIG"

# Each section's class is its field's default factory: the list of sections is written once, in Config.
_SECTIONS: dict[str, type] = {f.name: f.default_factory for f in fields(Config)
                              if f.name not in ("mode", "source")}


def _coerce(value: Any, kind: type, where: str) -> Any:
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is int and isinstance(value, bool):
            raise ValueError(value)
        if kind is int and isinstance(value, float):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}") from None


def _field_types(cls: type) -> dict[str, type]:
    hints = {"str": str, "int": int, "float": float, "bool": bool}
    return {f.name: hints[str(f.type)] for f in fields(cls)}


def load(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the configuration: defaults, then the TOML file, then the environment."""
    env = os.environ if env is None else env
    if path is None:
        path = env.get(CONFIG_ENV) or ("permanence.toml" if Path("permanence.toml").exists() else None)
    raw: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        p = Path(path)
        try:
            raw = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: configuration file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
        source = str(p)

    mode = raw.pop("mode", "production")
    values: dict[str, dict[str, Any]] = {}
    for key, table in raw.items():
        if key not in _SECTIONS:
            raise ConfigError(f"{source}: unknown section or key {key!r}")
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [{key}] must be a table")
        types = _field_types(_SECTIONS[key])
        for name, value in table.items():
            if name not in types:
                raise ConfigError(f"{source}: unknown key {name!r} in [{key}]")
            values.setdefault(key, {})[name] = _coerce(value, types[name], f"{source}: [{key}] {name}")

    if f"{ENV_PREFIX}MODE" in env:
        mode = env[f"{ENV_PREFIX}MODE"]
    for section in _SECTIONS:
        types = _field_types(_SECTIONS[section])
        for name, kind in types.items():
            var = f"{ENV_PREFIX}{section.upper()}_{name.upper()}"
            if var in env:
                values.setdefault(section, {})[name] = _coerce(env[var], kind, f"environment {var}")

    config = Config(
        mode=str(mode),
        source=source,
        **{s: _SECTIONS[s](**values.get(s, {})) for s in _SECTIONS},
    )
    validate(config)
    return config


def replace(config: Config, **sections: dict[str, Any]) -> Config:
    """A copy of config with some keys of some sections changed (tests, demo)."""
    changed = {s: dataclasses.replace(getattr(config, s), **kv) for s, kv in sections.items()}
    return dataclasses.replace(config, **changed)
