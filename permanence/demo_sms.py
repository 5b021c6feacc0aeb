"""`permanence demo sms-gateway | sms-sent | sms-reply`: the demo's SMS, end to end on this machine.

`make run` starts the gateway beside Asterisk and `permanence serve`: a real Kannel (bearerbox and smsbox
with the configuration `kannel-config` writes) and Kannel's fake SMS centre standing for the phones. The
dispatch's SMS go through it as in production; `sms-sent` lists what the phones got, `sms-reply` sends an
SMS from a phone (a confirmation code), which comes back to the web app through smsbox.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from dispatch.kannel_local import KannelStartError, LocalKannel, parse, reply_line, send_to_inbox

from .cliutil import CLIError, add_command
from .config import Config
from .dispatching import kannel_settings

INBOX = "phones.fifo"  # in [sms] kannel_dir: what fakesmsc reads (the phones' SMS to the service)


def _checked(config: Config) -> Path:
    if config.sms.smsc != "fake":
        raise CLIError("[sms] smsc is not \"fake\": the demo's phones are Kannel's fake SMS centre")
    if not config.sms.sendsms_password:
        raise CLIError("[sms] sendsms_password is empty: no SMS is sent (`permanence demo init` writes one)")
    return Path(config.sms.kannel_dir).resolve()


def cmd_sms_gateway(config: Config, args: argparse.Namespace) -> int:
    directory = _checked(config)
    directory.mkdir(parents=True, exist_ok=True)
    kannel = LocalKannel(kannel_settings(config), inbox=directory / INBOX)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        kannel.start()
    except (KannelStartError, OSError) as exc:
        raise CLIError(f"the demo SMS gateway did not start: {exc} (logs in {directory})") from None
    print(f"SMS gateway up: Kannel with its fake SMS centre, logs in {directory}", flush=True)
    try:
        while not stop.wait(1.0):
            if any(process.poll() is not None for process in kannel.processes):
                raise CLIError(f"a Kannel process stopped (logs in {directory})")
    finally:
        kannel.stop()
    return 0


def cmd_sms_sent(config: Config, args: argparse.Namespace) -> int:
    log = _checked(config) / "fakesmsc.log"
    sent = parse(log.read_bytes()) if log.exists() else []
    for sms in sent[-args.last:] if args.last else sent:
        print(f"{sms.sender} → {sms.to}\t{sms.text}")
    return 0


def cmd_sms_reply(config: Config, args: argparse.Namespace) -> int:
    directory = _checked(config)
    try:
        send_to_inbox(directory / INBOX, reply_line(args.sender, config.sms.sender, args.text))
    except (ValueError, FileNotFoundError) as exc:
        raise CLIError(str(exc)) from None
    print(f"{args.sender} → {config.sms.sender}: {args.text}")
    return 0


def register(demo: argparse._SubParsersAction) -> None:
    add_command(demo, "sms-gateway", cmd_sms_gateway, "run Kannel with its fake SMS centre as the phones, until "
                "stopped (make run starts it)")
    p = add_command(demo, "sms-sent", cmd_sms_sent, "list the SMS the demo's phones got, oldest first")
    p.add_argument("--last", type=int, default=0, help="only the last N")
    p = add_command(demo, "sms-reply", cmd_sms_reply, "send an SMS from a phone to the service's number "
                    "(e.g. a confirmation code)")
    p.add_argument("sender", help="the phone's number, E.164 (+15145551234)")
    p.add_argument("text")
