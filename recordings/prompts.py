"""The prompt catalog: which prompt references exist in which languages, and their text sources.

Layout of the prompts directory ([paths] prompts, svi_prompts/ in the checkout):

  <lang>/<name>.wav                   common:<name>, a project prompt
  clients/<code>/<lang>/<name>.wav    <name>, client <code>'s own prompt
  manifest.toml, table [system]       sys:<name>, a sound of Debian's Asterisk packages: name -> languages
  <name>.txt beside a .wav            the text that `permanence prompts synth` speaks into it

References are those of ivr.prompts. A client reference means nothing without a client: bind the
catalog to one with for_client(code) before asking about such references.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from ivr.prompts import PromptError, split_ref

MANIFEST = "manifest.toml"
CLIENTS_DIR = "clients"
# Formats Asterisk plays a prompt from (it picks the cheapest to transcode); the project writes .wav.
AUDIO_EXTENSIONS = frozenset({"wav", "gsm", "ulaw", "alaw", "sln", "g722", "wav49"})
_LANGUAGE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]+)*$")
_CLIENT = re.compile(r"^[0-9]{4,5}$")
# Where Debian's sound packages put each language, under <root>/usr/share/asterisk/sounds: the first
# that exists wins ('en' is an alternatives link; the sandbox links 'fr' to June's voice).
SYSTEM_SOUND_DIRS = {"en": ("en", "en_US_f_Allison"), "fr": ("fr", "fr_CA_f_June")}


class CatalogError(ValueError):
    """The prompts directory or its manifest is not what the layout says; the message names the file."""


@dataclass(frozen=True)
class PromptSource:
    """A .txt text source and the prompt file it is spoken into."""

    text_path: Path
    audio_path: Path
    language: str
    name: str
    client: str | None = None  # None: a common prompt

    @property
    def ref(self) -> str:
        return self.name if self.client else f"common:{self.name}"

    def is_stale(self) -> bool:
        """No prompt file yet, or the text changed after it was made."""
        try:
            return self.text_path.stat().st_mtime > self.audio_path.stat().st_mtime
        except FileNotFoundError:
            return True

    def read_text(self) -> str:
        try:
            return self.text_path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogError(f"{self.text_path}: cannot read the text: {exc}") from None


def check_language(language: str) -> str:
    if not _LANGUAGE.match(language):
        raise CatalogError(f"bad language {language!r} (a channel language such as fr or en)")
    return language


def check_client(code: str) -> str:
    if not _CLIENT.match(code):
        raise CatalogError(f"bad client code {code!r} (4 or 5 digits)")
    return code


def prompt_path(prompts_dir: Path, ref: str, language: str, client: str | None = None, suffix: str = ".wav") -> Path:
    """The file of a common or client prompt (sys: prompts have none in the prompts directory)."""
    kind, name = split_ref(ref)
    check_language(language)
    if kind == "sys":
        raise CatalogError(f"{ref}: system prompts come from Asterisk's sound packages, not from files here")
    if kind == "common":
        return prompts_dir / language / f"{name}{suffix}"
    if client is None:
        raise CatalogError(f"{ref}: a client prompt needs a client code")
    return prompts_dir / CLIENTS_DIR / check_client(client) / language / f"{name}{suffix}"


def _language_dirs(base: Path) -> Iterable[Path]:
    if base.is_dir():
        yield from sorted(d for d in base.iterdir() if d.is_dir() and _LANGUAGE.match(d.name))


def _names(lang_dir: Path, extensions: Iterable[str], problems: list[str]) -> dict[str, Path]:
    """name -> file, for every file under lang_dir with one of the extensions."""
    found: dict[str, Path] = {}
    extensions = frozenset(extensions)
    for path in sorted(lang_dir.rglob("*")):
        ext = path.suffix.lower().lstrip(".")
        if not path.is_file() or path.name.startswith(".") or ext not in extensions:
            continue
        name = str(PurePosixPath(*path.relative_to(lang_dir).with_suffix("").parts))
        try:
            split_ref(f"common:{name}")
        except PromptError:
            problems.append(f"{path}: not a usable prompt name (a-z 0-9 _ - /, lower case)")
            continue
        found[name] = path
    return found


def _read_manifest(path: Path) -> dict[str, frozenset[str]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path}: unreadable manifest: {exc}") from None
    system = raw.get("system", {})
    if not isinstance(system, dict):
        raise CatalogError(f"{path}: [system] must be a table of name = [languages]")
    out: dict[str, frozenset[str]] = {}
    for name, languages in system.items():
        try:
            split_ref(f"sys:{name}")
        except PromptError as exc:
            raise CatalogError(f"{path}: [system] {exc}") from None
        if not isinstance(languages, list) or not languages or not all(
                isinstance(lang, str) and _LANGUAGE.match(lang) for lang in languages):
            raise CatalogError(f"{path}: [system] {name!r} must list its languages, e.g. [\"en\", \"fr\"]")
        out[name] = frozenset(languages)
    return out


@dataclass(frozen=True)
class PromptCatalog:
    prompts_dir: Path
    common: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> languages
    clients: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)  # code -> name -> languages
    system: dict[str, frozenset[str]] = field(default_factory=dict)  # from the manifest
    problems: tuple[str, ...] = ()  # files in the tree that no reference can name
    client: str | None = None  # the client that plain references belong to (for_client)

    @classmethod
    def scan(cls, prompts_dir: str | os.PathLike[str]) -> PromptCatalog:
        root = Path(prompts_dir)
        if not root.is_dir():
            raise CatalogError(f"{root}: no prompts directory")
        problems: list[str] = []
        common: dict[str, set[str]] = {}
        for lang_dir in _language_dirs(root):
            for name in _names(lang_dir, AUDIO_EXTENSIONS, problems):
                common.setdefault(name, set()).add(lang_dir.name)
        clients: dict[str, dict[str, frozenset[str]]] = {}
        clients_root = root / CLIENTS_DIR
        for client_dir in sorted(clients_root.iterdir()) if clients_root.is_dir() else ():
            if not client_dir.is_dir():
                continue
            if not _CLIENT.match(client_dir.name):
                problems.append(f"{client_dir}: not a client code (4 or 5 digits)")
                continue
            names: dict[str, set[str]] = {}
            for lang_dir in _language_dirs(client_dir):
                for name in _names(lang_dir, AUDIO_EXTENSIONS, problems):
                    names.setdefault(name, set()).add(lang_dir.name)
            clients[client_dir.name] = {n: frozenset(langs) for n, langs in names.items()}
        return cls(root, {n: frozenset(langs) for n, langs in common.items()}, clients,
                   _read_manifest(root / MANIFEST), tuple(problems))

    def for_client(self, code: str) -> PromptCatalog:
        """This catalog with plain references meaning client `code`'s prompts."""
        return replace(self, client=check_client(code))

    def languages(self, ref: str, client: str | None = None) -> frozenset[str]:
        """The languages a reference exists in (empty if none)."""
        kind, name = split_ref(ref)
        if kind == "sys":
            return self.system.get(name, frozenset())
        if kind == "common":
            return self.common.get(name, frozenset())
        client = client or self.client
        if client is None:
            raise CatalogError(f"{ref}: a client prompt needs a client (catalog.for_client(code))")
        return self.clients.get(client, {}).get(name, frozenset())

    def exists(self, ref: str, language: str, client: str | None = None) -> bool:
        """True if the reference can be played in that language (an ivr.prompts.PromptExists)."""
        return language in self.languages(ref, client)

    def missing(self, refs: Iterable[str], languages: Iterable[str], client: str | None = None
                ) -> list[tuple[str, str]]:
        """(reference, language) pairs that cannot be played, in the order asked."""
        languages = list(languages)
        return [(ref, lang) for ref in refs for lang in languages if not self.exists(ref, lang, client)]

    def refs(self, client: str | None = None) -> list[str]:
        """Every reference known: common, then the client's (if one is given or bound), then system."""
        client = client or self.client
        own = sorted(self.clients.get(client, {})) if client else []
        return ([f"common:{n}" for n in sorted(self.common)] + own + [f"sys:{n}" for n in sorted(self.system)])

    def all_languages(self) -> list[str]:
        langs: set[str] = set().union(*self.common.values(), *self.system.values())
        for names in self.clients.values():
            langs.update(*names.values())
        return sorted(langs)


def sources(prompts_dir: str | os.PathLike[str], client: str | None = None) -> list[PromptSource]:
    """Every .txt text source (common and clients', or only client's if given), with its .wav."""
    root = Path(prompts_dir)
    problems: list[str] = []
    found: list[PromptSource] = []
    bases: list[tuple[Path, str | None]] = []
    if client is None:
        bases.append((root, None))
        clients_root = root / CLIENTS_DIR
        if clients_root.is_dir():
            bases += [(d, d.name) for d in sorted(clients_root.iterdir()) if d.is_dir() and _CLIENT.match(d.name)]
    else:
        bases.append((root / CLIENTS_DIR / check_client(client), client))
    for base, code in bases:
        for lang_dir in _language_dirs(base):
            for name, text in _names(lang_dir, ("txt",), problems).items():
                found.append(PromptSource(text, text.with_suffix(".wav"), lang_dir.name, name, code))
    if problems:
        raise CatalogError("; ".join(problems))
    return found


def sandbox_root(env: Mapping[str, str] | None = None) -> Path:
    """The Asterisk sandbox root, by scripts/asterisk-bootstrap's rule."""
    env = os.environ if env is None else env
    if env.get("PERMANENCE_ASTERISK_ROOT"):
        return Path(env["PERMANENCE_ASTERISK_ROOT"])
    cache = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(cache) / "permanence" / "asterisk-sid"


def system_sound_dir(root: str | os.PathLike[str], language: str) -> Path | None:
    """The sound directory of a language inside an Asterisk root (a chroot, or / for the host)."""
    root = Path(root)
    base = root / "usr/share/asterisk/sounds"
    for candidate in SYSTEM_SOUND_DIRS.get(language, (language,)):
        path = base / candidate
        for _ in range(10):  # links inside a chroot are absolute to the chroot, not to this machine
            if not path.is_symlink():
                break
            target = os.readlink(path)
            path = root / target.lstrip("/") if target.startswith("/") else path.parent / target
        if path.is_dir():
            return path
    return None


def missing_system_sounds(manifest: dict[str, frozenset[str]], root: str | os.PathLike[str]) -> list[str]:
    """'name (lang)' for each manifest entry with no sound file in that language under root."""
    missing = []
    for name, languages in sorted(manifest.items()):
        for lang in sorted(languages):
            directory = system_sound_dir(root, lang)
            if directory is None or not any((directory / name).parent.glob(f"{Path(name).name}.*")):
                missing.append(f"{name} ({lang})")
    return missing
