"""Record a live AMI event stream to a JSON Lines file: the fixtures the replay tests feed back.

    permanence ami capture OUT.jsonl [--seconds N]

Each line is one event, its fields as Asterisk sent them, in order. tests/ami/fixtures/README.md
says how the project's fixtures were captured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path

from .client import AMIClient
from .protocol import AmiEvent


async def capture(host: str, port: int, user: str, secret: str, out: Path, seconds: float) -> int:
    count = 0
    with out.open("w", encoding="utf-8") as sink:

        async def on_event(message: AmiEvent) -> None:
            nonlocal count
            sink.write(json.dumps(dict(message.items()), ensure_ascii=False) + "\n")
            sink.flush()
            count += 1

        client = AMIClient(host, port, user, secret, on_event=on_event)
        task = asyncio.create_task(client.run())
        try:
            await client.wait_connected(10)
            print(f"capturing AMI events into {out} for {seconds:g} s", file=sys.stderr)
            await asyncio.sleep(seconds)
        finally:
            await client.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return count
