"""`permanence prompts ...`: synthesize, record (import), list and check the IVR prompts.

Wired into permanence.cli by register(sub), like ivr_cli; also runs alone (python -m
permanence.prompts_cli ...). Every command takes (config, args) and returns an exit status; failures
raise PromptToolError, a CLIError.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

from ivr.prompts import PromptError
from recordings.audio import DEFAULT_SPEED, AudioError, convert_to_prompt, synthesize, validate_upload
from recordings.prompts import (
    CatalogError,
    PromptCatalog,
    check_client,
    check_language,
    missing_system_sounds,
    prompt_path,
    sandbox_root,
    sources,
)

from .cliutil import CLIError, Progress, add_command, add_group
from .config import Config

COMMON = "common"  # in place of a client code: the project's own prompts


class PromptToolError(CLIError):
    """A prompts command could not be carried out; the message names the file and says why."""


def _errors(fn: Callable[[Config, argparse.Namespace], int]) -> Callable[[Config, argparse.Namespace], int]:
    @functools.wraps(fn)
    def wrapper(config: Config, args: argparse.Namespace) -> int:
        try:
            return fn(config, args)
        except (AudioError, CatalogError, PromptError) as exc:
            raise PromptToolError(str(exc)) from None
        except OSError as exc:
            raise PromptToolError(f"{exc.filename or ''}: {exc.strerror}".lstrip(": ")) from None
    return wrapper


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _target(config: Config, client: str, language: str, name: str) -> Path:
    check_language(language)
    if client == COMMON:
        return prompt_path(config.prompts_dir, f"common:{name}", language)
    if ":" in name:
        raise PromptToolError(f"{name!r}: give the bare name of the prompt (CLIENT says whose it is)")
    return prompt_path(config.prompts_dir, name, language, check_client(client))


@_errors
def cmd_synth(config: Config, args: argparse.Namespace) -> int:
    root = config.prompts_dir
    if not root.is_dir():
        raise PromptToolError(f"{root}: no prompts directory ([paths] prompts)")
    client = None if args.client in (None, COMMON) else check_client(args.client)
    found = [s for s in sources(root, client) if args.client != COMMON or s.client is None]
    todo = [s for s in found if args.force or s.is_stale()]
    bar = Progress(len(todo))
    done: list[Path] = []
    for source in todo:
        bar.start(_display(source.audio_path, root))
        try:
            synthesize(source.read_text(), source.language, source.audio_path, speed=args.speed)
        except (AudioError, CatalogError) as exc:
            bar.finish("failed")
            raise PromptToolError(f"synthesis of {source.text_path} failed after {len(done)} prompt(s): "
                                  f"{exc}") from None
        bar.advance()
        done.append(source.audio_path)
    bar.finish()
    for path in done:
        print(_display(path, root))
    print(f"synthesized {len(done)} prompt(s), {len(found) - len(todo)} up to date")
    return 0


@_errors
def cmd_say(config: Config, args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    text = text.strip()
    if not text:
        raise PromptToolError("no text to say")
    dst = _target(config, args.client, args.language, args.name)
    txt = dst.with_suffix(".txt")
    previous = txt.read_bytes() if txt.exists() else None
    txt.parent.mkdir(parents=True, exist_ok=True)
    txt.write_text(text + "\n", encoding="utf-8")  # first: the .wav made after it is newer
    try:
        info = synthesize(text, args.language, dst, speed=args.speed)
    except BaseException:
        if previous is None:
            txt.unlink(missing_ok=True)
        else:
            txt.write_bytes(previous)
        raise
    print(f"{dst} ({info.duration_s:.1f} s)")
    return 0


@_errors
def cmd_import(config: Config, args: argparse.Namespace) -> int:
    dst = _target(config, args.client, args.language, args.name)
    validate_upload(args.file, max_seconds=args.max_seconds)
    info = convert_to_prompt(args.file, dst)
    print(f"{args.file} → {dst} ({info.duration_s:.1f} s, 8 kHz mono 16-bit)")
    if dst.with_suffix(".txt").exists():
        print(f"note: {dst.with_suffix('.txt')} stays as the script of this recording; `prompts synth` "
              "replaces the recording if that text changes or with --force", file=sys.stderr)
    return 0


def _rows(catalog: PromptCatalog, refs: list[str], client: str | None, languages: list[str]) -> tuple[list[str], int]:
    lines, gaps = [], 0
    width = max((len(r) for r in refs), default=0)
    for ref in refs:
        have = catalog.languages(ref, client)
        cells = [lang if lang in have else "-" * len(lang) for lang in languages]
        absent = [lang for lang in languages if lang not in have]
        gaps += len(absent)
        note = f"   missing {', '.join(absent)}" if absent else ""
        lines.append(f"  {ref.ljust(width)}  {'  '.join(cells)}{note}")
    return lines, gaps


@_errors
def cmd_list(config: Config, args: argparse.Namespace) -> int:
    catalog = PromptCatalog.scan(config.prompts_dir)
    languages = catalog.all_languages()
    if args.client and check_client(args.client) not in catalog.clients:
        raise PromptToolError(f"client {args.client} has no prompts in {config.prompts_dir}")
    clients = [args.client] if args.client else sorted(catalog.clients)
    groups: list[tuple[str, list[str], str | None]] = [
        (f"common ({config.prompts_dir}/<lang>/)", [f"common:{n}" for n in sorted(catalog.common)], None)]
    groups += [(f"client {code} ({config.prompts_dir}/clients/{code}/<lang>/)", sorted(catalog.clients[code]), code)
               for code in clients]
    groups.append((f"system ({config.prompts_dir}/manifest.toml)", [f"sys:{n}" for n in sorted(catalog.system)], None))
    total = gaps = 0
    for title, refs, client in groups:
        print(title)
        lines, missing = _rows(catalog, refs, client, languages)
        for line in lines:
            print(line)
        total, gaps = total + len(refs), gaps + missing
    print(f"{total} prompt(s) in {', '.join(languages) or 'no language'}; {gaps} missing")
    for problem in catalog.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


@_errors
def cmd_check_system(config: Config, args: argparse.Namespace) -> int:
    root = Path(args.root) if args.root else sandbox_root()
    manifest = PromptCatalog.scan(config.prompts_dir).system
    if not (root / "usr/share/asterisk/sounds").is_dir():
        raise PromptToolError(f"{root}: no Asterisk sounds (usr/share/asterisk/sounds); run scripts/asterisk-bootstrap")
    missing = missing_system_sounds(manifest, root)
    if missing:
        raise PromptToolError(f"{len(missing)} system sound(s) of the manifest are not in {root}: {', '.join(missing)}")
    print(f"{len(manifest)} system sound(s) of the manifest found in {root}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Declare the `prompts` command group on permanence's top-level sub-parsers."""
    group = add_group(sub, "prompts", "IVR prompts: synthesize, import recordings, list, check")
    p = add_command(group, "synth", cmd_synth, "speak every .txt whose .wav is missing or older into its .wav")
    p.add_argument("--client", help=f"only this client's prompts ('{COMMON}': only the common ones)")
    p.add_argument("--force", action="store_true", help="regenerate even the up-to-date ones")
    p.add_argument("--speed", type=int, default=DEFAULT_SPEED, help="words per minute (default %(default)s)")
    p = add_command(group, "say", cmd_say, "write a prompt's text and synthesize it")
    p.add_argument("client", help=f"client code, or '{COMMON}' for a project prompt")
    p.add_argument("language", help="fr or en")
    p.add_argument("name", help="prompt name, e.g. welcome")
    p.add_argument("text", help="what to say ('-': read it from stdin)")
    p.add_argument("--speed", type=int, default=DEFAULT_SPEED, help="words per minute (default %(default)s)")
    p = add_command(group, "import", cmd_import, "check a recording (any format sox reads) and convert it into place")
    p.add_argument("client", help=f"client code, or '{COMMON}' for a project prompt")
    p.add_argument("language")
    p.add_argument("name")
    p.add_argument("file", help="the recording: wav, mp3, flac, ogg...")
    p.add_argument("--max-seconds", type=float, default=120, help="longest accepted (default %(default)s)")
    p = add_command(group, "list", cmd_list, "every prompt reference and the languages it exists in, gaps marked")
    p.add_argument("--client", help="only this client's own prompts (with the common and system ones)")
    p = add_command(group, "check-system", cmd_check_system,
                    "check that the manifest's system sounds exist in an Asterisk root")
    p.add_argument("--root", help="Asterisk root (default: the sandbox's, as scripts/asterisk-bootstrap builds it)")
