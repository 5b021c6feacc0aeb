"""The baseline: the least a FastAGI server can do for the bench's calls, on a bare asyncio.start_server.

`dnis`: the same exchange as agi.routes.DnisRoute on a known DID with a caller id (one GET VARIABLE,
then DID, CLIENT_CODE, CHANNEL(language), IVR_MENU_ENTRY, RECORDING_FILE, CALLER_ANONYMOUS,
CALLER_NUMBER, CALLER_KNOWN, CALLER_CALLS, CALLER_NAME, CALLER_LAST_CALL for a known caller, and
DNIS_STATUS last), with a dict in place of SQLite for the DID and the callers.

`ivr`: the same exchange as agi.routes.IvrRoute on the bench menu, its commands precomputed: no
engine, no menu store, no IVR path written. Both: no timeouts, no validation, no number parsing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from . import scenario as sc

# dialled → (E.164 DID, client code, language, entry menu)
DIDS = {sc.DIALLED: (sc.DID, sc.CLIENT_CODE, sc.LANGUAGE, sc.MENU)}
# E.164 caller → [calls, last call (ISO), name]
CALLERS: dict[str, list] = {}

Command = Callable[[bytes], Awaitable[bytes]]

_GET_LINKEDID = sc.get_variable("CHANNEL(linkedid)")
_GET_CLIENT = sc.get_variable("CLIENT_CODE")
_GET_LANGUAGE = sc.get_variable("CHANNEL(language)")
_NOT_ANONYMOUS = sc.set_variable("CALLER_ANONYMOUS", "0")
_FOUND = sc.set_variable("DNIS_STATUS", "found")
_LANGUAGE_PROMPT = {language: sc.stream_file(sc.language_prompt(language)) for language in ("fr", "en")}
_SET_LANGUAGE = {language: sc.set_variable("CHANNEL(language)", language) for language in ("fr", "en")}
_MAIN_PROMPTS = {language: tuple(sc.stream_file(sc.main_prompt(language, name)) for name in sc.MAIN_PROMPTS)
                 for language in ("fr", "en")}
_EXITS = {digit: sc.exit_commands(digit) for digit in sc.EXITS}


def _data(reply: bytes) -> str:
    return reply.partition(b"(")[2].partition(b")")[0].decode()


def _digit(reply: bytes) -> str:
    code = int(reply.partition(b"result=")[2].split()[0])
    return chr(code) if code > 0 else ""


async def _dnis(headers: dict[str, str], command: Command) -> None:
    linkedid = _data(await command(_GET_LINKEDID))
    did, code, language, entry = DIDS[headers["agi_arg_1"]]
    now = datetime.now(UTC)
    await command(sc.set_variable("DID", did))
    await command(sc.set_variable("CLIENT_CODE", code))
    await command(sc.set_variable("CHANNEL(language)", language))
    await command(sc.set_variable("IVR_MENU_ENTRY", entry))
    await command(sc.set_variable("RECORDING_FILE", f"{code}/{now:%Y/%m/%d}/{linkedid}"))
    number = "+1" + headers["agi_callerid"]
    at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = CALLERS.get(number)  # read and updated at once, as the store's one write does
    if record is None:
        record = CALLERS[number] = [1, at, headers["agi_calleridname"]]
        last = None
    else:
        last = record[1]
        record[0] += 1
        record[1] = at
    calls, name = record[0], record[2]
    await command(_NOT_ANONYMOUS)
    await command(sc.set_variable("CALLER_NUMBER", number))
    await command(sc.set_variable("CALLER_KNOWN", "0" if last is None else "1"))
    await command(sc.set_variable("CALLER_CALLS", str(calls)))
    await command(sc.set_variable("CALLER_NAME", name))
    if last is not None:
        await command(sc.set_variable("CALLER_LAST_CALL", last))
    await command(_FOUND)


async def _ivr(headers: dict[str, str], command: Command) -> None:
    await command(_GET_LINKEDID)
    await command(_GET_CLIENT)
    digit = _digit(await command(_LANGUAGE_PROMPT[_data(await command(_GET_LANGUAGE))]))
    if not digit:
        digit = _digit(await command(sc.WAIT_FOR_DIGIT))
    language = sc.LANGUAGE_CHOICES[digit]
    await command(_SET_LANGUAGE[language])
    for prompt in _MAIN_PROMPTS[language]:
        digit = _digit(await command(prompt))
        if digit:
            break
    else:
        digit = _digit(await command(sc.WAIT_FOR_DIGIT))
    for line in sc.at_time(_EXITS[digit], time.time()):
        await command(line)


ROUTES = {"dnis": _dnis, "ivr": _ivr}


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    headers = {}
    while (line := await reader.readline()).strip():
        key, _, value = line.decode().partition(":")
        headers[key] = value.strip()

    async def command(line: bytes) -> bytes:
        writer.write(line)
        return await reader.readline()

    try:
        await ROUTES[headers["agi_network_script"]](headers, command)
    finally:
        writer.close()


async def start(host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    return await asyncio.start_server(_handle, host, port)
