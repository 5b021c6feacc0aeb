"""`permanence`: the command line. Each sub-command maps onto one library call."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from ami.capture import capture
from dialplan import write_config
from dialplan.render import RenderError
from dispatch import kannel
from store import ClientError, UserError, checkin, clients, menus
from web import hash_password

from . import (
    __version__,
    agents_cli,
    contacts_cli,
    demo,
    demo_sms,
    ivr_cli,
    oncall_cli,
    prompts_cli,
    queues_cli,
    recordings_cli,
    reports_cli,
    script_cli,
    users_cli,
)
from .cliutil import CLIError, add_group, open_db
from .config import Config, ConfigError, load
from .dispatching import kannel_settings
from .serve import asterisk_data, asterisk_settings, serve


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    asyncio.run(serve(config))
    return 0


def cmd_check_config(config: Config, args: argparse.Namespace) -> int:
    print(f"configuration from {config.source}: mode {config.mode}")
    print(f"  store       {config.store.path}")
    print(f"  FastAGI     {config.agi.host}:{config.agi.port}")
    print(f"  AMI         {config.ami.user}@{config.ami.host}:{config.ami.port}")
    print(f"  web         http://{config.web.host}:{config.web.port}")
    print(f"  recordings  {config.paths.recordings}")
    print(f"  prompts     {config.paths.prompts}")
    return 0


def cmd_config_value(config: Config, args: argparse.Namespace) -> int:
    section, _, key = args.key.partition(".")
    try:
        print(getattr(getattr(config, section), key))
    except AttributeError:
        raise CLIError(f"no configuration key {args.key!r} (use SECTION.KEY, e.g. paths.recordings)") from None
    return 0


def cmd_asterisk_config(config: Config, args: argparse.Namespace) -> int:
    if not config.ami.secret:
        raise CLIError("[ami] secret is empty: Asterisk would have no usable manager user")
    for path in write_config(asterisk_settings(config, asterisk_data(config)), Path(args.out)):
        print(path)
    return 0


def cmd_kannel_config(config: Config, args: argparse.Namespace) -> int:
    if not config.sms.sendsms_password:
        raise CLIError("[sms] sendsms_password is empty: no SMS is sent, Kannel has nothing to do")
    print(kannel.write(kannel_settings(config), Path(args.out) if args.out else None))
    return 0


def cmd_clients_add(config: Config, args: argparse.Namespace) -> int:
    db = open_db(config)
    client = clients.add_client(db, args.code, args.name, args.language, args.timezone)
    print(f"client {client.code} {client.name} ({client.language}, {client.timezone})")
    return 0


def cmd_clients_list(config: Config, args: argparse.Namespace) -> int:
    db = open_db(config)
    for row in db.query("SELECT code, name, language, timezone FROM clients ORDER BY code"):
        print(f"{row['code']}\t{row['name']}\t{row['language']}\t{row['timezone']}")
    return 0


def cmd_clients_set_menu(config: Config, args: argparse.Namespace) -> int:
    try:
        menus.set_entry_menu(open_db(config), args.code, args.menu)
    except menus.MenuStoreError as exc:
        raise CLIError(str(exc)) from None
    print(f"client {args.code} answers with menu {args.menu} (next call)")
    return 0


def cmd_clients_set_pin(config: Config, args: argparse.Namespace) -> int:
    if args.pin_stdin or not sys.stdin.isatty():
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise CLIError("a check-in PIN is 4 to 12 digits")
    try:
        checkin.set_pin(open_db(config), args.code, hash_password(pin))
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    print(f"check-in PIN of client {args.code} set; its lock-out is cleared")
    return 0


def cmd_ami_capture(config: Config, args: argparse.Namespace) -> int:
    if not config.ami.secret:
        raise CLIError("[ami] secret is empty")
    count = asyncio.run(capture(config.ami.host, config.ami.port, config.ami.user, config.ami.secret,
                                Path(args.out), args.seconds))
    print(f"{count} events written to {args.out}")
    return 0


def cmd_dids_add(config: Config, args: argparse.Namespace) -> int:
    did = clients.add_did(open_db(config), args.number, args.client, args.label, config.phone.default_region)
    print(f"DID {did} → client {args.client}")
    return 0


def cmd_demo_init(config: Config | None, args: argparse.Namespace) -> int:
    written = demo.init_config(Path(args.path))
    print(f"{'wrote' if written else 'kept'} {args.path}")
    return 0


def cmd_demo_seed(config: Config, args: argparse.Namespace) -> int:
    secrets_file = Path(args.secrets_file)
    made = demo.seed(config, secrets_file) or demo.saved(secrets_file)
    password, pin = (made.password, made.pin) if made else (f"(see {secrets_file})",) * 2
    a, web = config.asterisk, f"http://{config.web.host}:{config.web.port}"
    print(f"""
  permanence demo
  ---------------
  Call the demo DID       {demo.DEMO_DID}  (5145550100): a bilingual menu — 1 français / 2 English,
                          then 1 reception, 2 check-in line, 9 message, * repeat (business hours
                          Mon-Fri 08:30-17:00 Toronto; closed: announcement and message)
                          sipp -sn uac -m 1 -d 20000 -s 5145550100 {a.sip_host}:{a.sip_port}
  Check-in line           menu option 2: client code {demo.DEMO_CLIENT}#, PIN {pin}#
  Softphone (SIP/UDP)     server {a.sip_host}:{a.sip_port}, user {a.softphone_user}, password {a.softphone_secret}
  Web app                 {web}
  Demo login              {demo.DEMO_LOGIN} / {password}
                          curl -s -X POST {web}/api/login \\
                            -d '{{"login": "{demo.DEMO_LOGIN}", "password": "{password}"}}'
  Metrics (Prometheus)    curl -s -H "Authorization: Bearer {config.web.metrics_token}" {web}/metrics
  SMS (the demo's phones) permanence demo sms-sent          what the dispatch sent
                          permanence demo sms-reply +15145551234 CODE   a phone's reply
""")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="permanence", description=__doc__)
    parser.add_argument("--version", action="version", version=f"permanence {__version__}")
    parser.add_argument("-c", "--config", help="configuration file (default: $PERMANENCE_CONFIG or ./permanence.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[..., int], help_text: str, parent=sub) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(fn=fn)
        return p

    add("serve", cmd_serve, "run the FastAGI server, the AMI listener and the web app")
    add("check-config", cmd_check_config, "load the configuration and show it (secrets hidden)")
    p = add("config-value", cmd_config_value, "print one configuration value (SECTION.KEY), for scripts")
    p.add_argument("key")
    p = add("asterisk-config", cmd_asterisk_config, "write the full Asterisk configuration for this setup")
    p.add_argument("--out", required=True, help="directory to write (an instance's /etc/asterisk)")

    p = add("kannel-config", cmd_kannel_config, "write Kannel's configuration (bearerbox, smsbox) for [sms]")
    p.add_argument("--out", help="the file to write (default: kannel.conf in [sms] kannel_dir); mode 0600")

    group = add_group(sub, "clients", "manage clients")
    p = add("add", cmd_clients_add, "add a client", group)
    p.add_argument("code", help="client code, 4 or 5 digits")
    p.add_argument("name")
    p.add_argument("--language", default="fr", choices=["fr", "en"])
    p.add_argument("--timezone", default="America/Toronto")
    add("list", cmd_clients_list, "list clients", group)
    p = add("set-menu", cmd_clients_set_menu, "make an active menu the client's entry menu", group)
    p.add_argument("code")
    p.add_argument("menu")
    p = add("set-pin", cmd_clients_set_pin, "set the client's check-in PIN (read from the terminal or stdin)", group)
    p.add_argument("code")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")

    group = add_group(sub, "dids", "manage DIDs")
    p = add("add", cmd_dids_add, "give a DID to a client", group)
    p.add_argument("number", help="the DID, in any usual form (stored as E.164)")
    p.add_argument("client", help="client code")
    p.add_argument("--label", default="")

    group = add_group(sub, "demo", "the demo set-up")
    p = add("init", cmd_demo_init, "write a demo configuration with fresh secrets (kept if present)", group)
    p.add_argument("path")
    p = add("seed", cmd_demo_seed, "seed a demo client (DID, menu, PIN) and login if the store is empty; print them",
            group)
    p.add_argument("--secrets-file", default="var/demo-secrets", help="where the demo password and PIN are kept")
    demo_sms.register(group)
    group = add_group(sub, "ami", "the AMI stream")
    p = add("capture", cmd_ami_capture, "record the AMI events to a JSON Lines file (replay fixtures)", group)
    p.add_argument("out")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to record (default 30)")
    ivr_cli.register(sub)
    agents_cli.register(sub)
    contacts_cli.register(sub)
    oncall_cli.register(sub)
    queues_cli.register(sub)
    prompts_cli.register(sub)
    recordings_cli.register(sub)
    reports_cli.register(sub)
    script_cli.register(sub)
    users_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = None if args.fn is cmd_demo_init else load(args.config)
        return args.fn(config, args)
    except (ConfigError, CLIError, ClientError, UserError, RenderError) as exc:
        print(f"permanence: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
