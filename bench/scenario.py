"""What the bench calls are: the client, its DID and menu, the callers and what they press, and the
AGI exchange a correct server has with each. Both servers serve these calls; the load generator
checks every session against this file, written from agi/routes/dnis.py and agi/routes/ivr.py (and
ivr/FORMAT.md), never from the code under measure.

Callers. Every call carries a caller id (agi_callerid, a 10-digit number from 5145551234 up, with
agi_calleridname "Bench Caller"). Calls are numbered per server (k = 0, 1, 2, …) and caller_number(k)
makes one call in five a caller's first (the dnis route's new-caller path: CALLER_KNOWN=0, an INSERT)
and four in five a returning caller (the known-caller path: CALLER_KNOWN=1, CALLER_LAST_CALL set, an
UPDATE). From a server's 2,500th call on, a returning caller's calls are 500 or more calls apart (never
two at once); before that, some call again a few calls after their first. Which path a session took is
read from what the server sent, and at the end each number's CALLER_CALLS values must be exactly
1, 2, … n: every call counted once.

IVR. A call is two AGI sessions on one channel, as the dialplan makes them (etc/asterisk/
extensions.conf): `dnis`, then `ivr,${IVR_MENU_ENTRY}`. The menu (MENU_YAML) is 3 steps: language
choice → time condition (open 24h on all days) → main menu → a queue exit. SCRIPTS says what each
caller presses and when: during a prompt (STREAM FILE answers `200 result=<ascii> endpos=1234`) or
after the prompts (STREAM FILE answers `200 result=0 endpos=8000`, then WAIT FOR DIGIT the digit).
"""

from __future__ import annotations

from dataclasses import dataclass

from permanence.config import Config

HOST = "127.0.0.1"
DIALLED = "5145550100"
DID = "+15145550100"
CLIENT_CODE = "1000"
LANGUAGE = "fr"  # the client's language: what dnis sets, what the ivr session reads back
CHANNEL_LANGUAGE = "en"  # the channel's language before dnis sets it
MENU = "bench"
CALLER_NAME = "Bench Caller"
FIRST_CALLER = 5145551234
PROMPTS_DIR = Config().asterisk.prompts_dir  # what build_router gives IvrRoute
ESCAPE_DIGITS = "0123456789*#"  # agi/routes/dtmf.py DIGITS
WAIT_MS = 4000  # the menu's `timeout: 4`, as WAIT FOR DIGIT sends it
ENDPOS_INTERRUPTED = 1234
ENDPOS_PLAYED = 8000

def three_step_menu(name: str, description: str, choices: str, rest: str) -> str:
    """A menu of three steps — language choice, open around the clock, main menu — the benches share;
    `choices` is the main menu's YAML mapping, `rest` the YAML of its targets and other settings."""
    return f"""\
menu: {name}
client: "{CLIENT_CODE}"
description: {description}
languages: [fr, en]
timezone: America/Toronto
entry: language
nodes:
  language: {{type: language, prompt: common:choose-language, choices: {{"1": fr, "2": en}}, timeout: 4,
             default: fr, next: hours}}
  hours: {{type: time, hours: {{mon-sun: 24h}}, open: main, closed: closed}}
  main:
    type: menu
    prompt: [welcome, menu-main]
    choices: {choices}
    timeout: 4
{rest}"""


MENU_YAML = three_step_menu(MENU, "bench menu, 3 steps to a queue", '{"1": reception, "2": sales}', f"""\
    on_invalid: reception
  closed: {{type: play, prompt: closed, next: voicemail}}
  voicemail: {{type: voicemail, mailbox: "{CLIENT_CODE}"}}
  reception: {{type: queue, queue: {CLIENT_CODE}-accueil, options: {{timeout: "300"}}}}
  sales: {{type: queue, queue: {CLIENT_CODE}-ventes, options: {{timeout: "120"}}}}
""")
LANGUAGE_CHOICES = {"1": "fr", "2": "en"}
LANGUAGE_PROMPT = "choose-language"  # common:choose-language
MAIN_PROMPTS = ("welcome", "menu-main")  # the client's own
EXITS = {"1": ("reception", f"{CLIENT_CODE}-accueil", "300"), "2": ("sales", f"{CLIENT_CODE}-ventes", "120")}
PATH_STEPS = 4  # IVR path entries per call: language choice, open, menu choice, exit


@dataclass(frozen=True)
class Press:
    digit: str
    during: str | None  # the prompt it interrupts (a file's last part); None: after the prompts


SCRIPTS: tuple[tuple[Press, Press], ...] = (  # (language choice, main menu choice), call n uses n % 4
    (Press("1", LANGUAGE_PROMPT), Press("1", None)),  # fr, reception
    (Press("2", None), Press("2", "menu-main")),  # en, sales
    (Press("2", LANGUAGE_PROMPT), Press("1", "welcome")),  # en, reception, menu-main never played
    (Press("1", None), Press("2", None)),  # fr, sales
)

NEW_EVERY = 5  # one call in five is a caller's first
SPACING = 100  # a returning caller's calls are NEW_EVERY × SPACING calls apart


def caller_number(k: int) -> str:
    """The caller id of a server's k-th call (from 0). Number i first calls at k = 5i, then again at
    k = 5(i + 100r) + r for r = 1…4; early on (i < 100r) at k = 5i + r instead."""
    q, r = divmod(k, NEW_EVERY)
    ident = q if r == 0 or q < r * SPACING else q - r * SPACING
    return str(FIRST_CALLER + ident)


def e164(number: str) -> str:
    """A 10-digit North American caller id in E.164 (all the bench sends)."""
    return "+1" + number


def quote(value: str) -> str:
    """An AGI argument as agi.protocol.quote_arg writes it, for the values the bench uses."""
    if value and not any(c.isspace() or c in '"\\' for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def set_variable(name: str, value: str) -> bytes:
    return f"SET VARIABLE {name} {quote(value)}\n".encode()


def get_variable(name: str) -> bytes:
    return f"GET VARIABLE {name}\n".encode()


def stream_file(path: str) -> bytes:
    return f"STREAM FILE {path} {ESCAPE_DIGITS}\n".encode()


WAIT_FOR_DIGIT = f"WAIT FOR DIGIT {WAIT_MS}\n".encode()


def language_prompt(language: str) -> str:
    return f"{PROMPTS_DIR}/{language}/{LANGUAGE_PROMPT}"


def main_prompt(language: str, name: str) -> str:
    return f"{PROMPTS_DIR}/clients/{CLIENT_CODE}/{language}/{name}"


# The caller's place in the queue (epoch seconds, the route's clock): any such value is right.
QUEUE_JOINED_ANY = b"SET VARIABLE QUEUE_JOINED *\n"


def at_time(lines: tuple[bytes, ...], now: float) -> tuple[bytes, ...]:
    """The commands with the caller's place in the queue at `now`, as a route sends them."""
    joined = set_variable("QUEUE_JOINED", f"{now:.3f}")
    return tuple(joined if line == QUEUE_JOINED_ANY else line for line in lines)


def exit_commands(digit: str) -> tuple[bytes, ...]:
    """What IvrRoute._leave sends for the queue a main-menu digit leads to: the menu's exit, the caller
    placed in the queue (the bench's queues have no definition: no max wait, no offer), IVR_ACTION last."""
    node, queue, timeout = EXITS[digit]
    return (set_variable("IVR_TARGET", queue), set_variable("IVR_CLOSED", "0"),
            set_variable("IVR_QUEUE_TIMEOUT", timeout), set_variable("IVR_MENU", MENU),
            set_variable("IVR_NODE", node), set_variable("QUEUE_HOPS", queue), QUEUE_JOINED_ANY,
            set_variable("CALLBACK_OFFERED", ""), set_variable("QUEUE_POSITION", ""),
            set_variable("QUEUE_TIMEOUT", ""), set_variable("QUEUE_READY", "1"), set_variable("IVR_ACTION", "queue"))


IVR_OPENING = (get_variable("CHANNEL(linkedid)"), get_variable("CLIENT_CODE"), get_variable("CHANNEL(language)"))


def ivr_exchange(script: tuple[Press, Press]) -> tuple[bytes, ...]:
    """Every command of the `ivr` session for this script, in order."""
    lang, main = script
    out = [*IVR_OPENING, stream_file(language_prompt(LANGUAGE))]
    if lang.during is None:
        out.append(WAIT_FOR_DIGIT)
    language = LANGUAGE_CHOICES[lang.digit]
    out.append(set_variable("CHANNEL(language)", language))
    for name in MAIN_PROMPTS:
        out.append(stream_file(main_prompt(language, name)))
        if main.during == name:
            break
    else:
        out.append(WAIT_FOR_DIGIT)
    out += exit_commands(main.digit)
    return tuple(out)


IVR_EXCHANGES = tuple(ivr_exchange(script) for script in SCRIPTS)
