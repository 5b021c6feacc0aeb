"""The baseline: the least a FastAGI dnis server can do, on a bare asyncio.start_server.

The same exchange as agi.routes.DnisRoute on a known DID (one GET VARIABLE, five SET VARIABLE, in the
same order) with a dict in place of SQLite; no timeouts, no validation, no number parsing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

# dialled → (E.164 DID, client code, language)
DIDS = {"5145550100": ("+15145550100", "1000", "fr")}


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    headers = {}
    while (line := await reader.readline()).strip():
        key, _, value = line.decode().partition(":")
        headers[key] = value.strip()

    async def command(text: str) -> bytes:
        writer.write(text.encode() + b"\n")
        return await reader.readline()

    reply = await command("GET VARIABLE CHANNEL(linkedid)")
    linkedid = reply.partition(b"(")[2].partition(b")")[0].decode()
    did, code, language = DIDS[headers["agi_arg_1"]]
    await command(f"SET VARIABLE DID {did}")
    await command(f"SET VARIABLE CLIENT_CODE {code}")
    await command(f"SET VARIABLE CHANNEL(language) {language}")
    await command(f"SET VARIABLE RECORDING_FILE {code}/{datetime.now(UTC):%Y/%m/%d}/{linkedid}")
    await command("SET VARIABLE DNIS_STATUS found")
    writer.close()


async def start(host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    return await asyncio.start_server(_handle, host, port)
