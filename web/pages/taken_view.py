"""What the messages pages show of a message, in the viewer's language: its fields labelled by the client's
script, where its dispatch stands, and each entry of its history with the person it went to.

Pure: built from what store.message_search read; the templates only lay it out (and escape it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from callscript import Script
from store import sms_delivery
from store.contacts import Contact
from store.messages import STATUSES, HistoryEntry, Message
from store.oncall_schedules import DEFAULT as DEFAULT_SCHEDULE
from store.protocols import ON_CALL

from .i18n import Translator

STATUS_KEYS = {status: f"message.status_{status}" for status in STATUSES}
CHANNEL_KEYS = {channel: f"msgs.channel_{channel}" for channel in ("sms", "phone", "email", "alert")}
RESULT_KEYS = {result: f"msgs.result_{result}" for result in (
    "sending", "sent", "failed", "no_reply", "no_answer", "busy", "not_confirmed", "confirmed", "wrong_code", "late",
    "alerted", "acknowledged", *sms_delivery.RESULTS)}
# The reason, or what came back (a reply's text, the SMS centre's answer to an SMS it refused).
WITH_DETAIL = ("failed", "no_answer", "busy", "not_confirmed", "wrong_code", "sms_undelivered", "sms_rejected")
SUMMARY_FIELDS = 3
SUMMARY_LENGTH = 140


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Entry:
    """One line of the history timeline."""

    id: int
    at: str
    step: int | None  # 1-based, as people count
    channel: str
    channel_label: str
    result: str  # the result's class (no_answer read as busy when the channel said so)
    result_label: str
    recipient_name: str | None
    recipient: str | None
    party_name: str | None
    party: str | None  # who confirmed (or sent a wrong code, or took the message in hand)
    detail: str


@dataclass(frozen=True)
class StepView:
    number: int
    channel_label: str
    to: str
    wait_s: int
    current: bool


class People:
    """The client's contacts by id and by each number and address they have: a recipient or a confirming
    party is shown with the name of whoever has that number."""

    def __init__(self, contacts: Iterable[Contact]) -> None:
        self.by_id: dict[int, Contact] = {}
        self.by_address: dict[str, Contact] = {}
        for contact in contacts:
            self.by_id[contact.id] = contact
            for address in (contact.mobile, contact.office, contact.email):
                if address:
                    self.by_address.setdefault(address.lower(), contact)

    def name(self, address: str | None, contact_id: int | None = None) -> str | None:
        found = self.by_id.get(contact_id) if contact_id is not None else None
        found = found or (self.by_address.get(address.lower()) if address else None)
        return found.name if found else None


def field_value(t: Translator, script: Script | None, key: str, value: object) -> str:
    if value is True or value is False:
        return t("script.yes") if value else t("script.no")
    question = script.question(key) if script else None
    if question is not None and question.type == "choice":
        choice = next((c for c in question.choices if c.value == value), None)
        if choice is not None:
            return choice.label.get(t.lang) or choice.label.get("fr") or choice.label.get("en") or str(value)
    return "" if value is None else str(value)


def fields(t: Translator, script: Script | None, message: Message) -> list[Field]:
    """Every field in its order, labelled by the script's question in the viewer's language, else its key."""
    out = []
    for key, value in message.fields.items():
        question = script.question(key) if script else None
        label = question.label(t.lang) if question else key
        out.append(Field(key, label, field_value(t, script, key, value)))
    return out


def summary(t: Translator, script: Script | None, message: Message) -> str:
    """A line for the list: the first fields with a value, else the text's first line."""
    shown = [f"{f.label}: {f.value}" for f in fields(t, script, message) if f.value][:SUMMARY_FIELDS]
    line = " · ".join(shown) if shown else message.text.splitlines()[0]
    return line if len(line) <= SUMMARY_LENGTH else line[:SUMMARY_LENGTH - 1] + "…"


def _result(entry: HistoryEntry) -> str:
    if entry.result == "no_answer" and "busy" in entry.detail.lower():
        return "busy"
    return entry.result


def entries(t: Translator, people: People, found: list[HistoryEntry]) -> list[Entry]:
    out = []
    for entry in found:
        result = _result(entry)
        key = RESULT_KEYS.get(result)
        out.append(Entry(
            id=entry.id, at=entry.at, step=None if entry.step is None else entry.step + 1, channel=entry.channel,
            channel_label=t(CHANNEL_KEYS[entry.channel]) if entry.channel in CHANNEL_KEYS else entry.channel,
            result=result, result_label=t(key) if key else result,
            recipient_name=None if entry.channel == "alert" else people.name(entry.recipient, entry.contact_id),
            recipient=t("msgs.dispatcher") if entry.channel == "alert" and entry.recipient == "dispatcher"
            else entry.recipient,
            party_name=people.name(entry.confirmed_by) if entry.confirmed_by else None,
            party=entry.confirmed_by, detail=entry.detail if result in WITH_DETAIL else ""))
    return out


def status_line(t: Translator, people: People, message: Message, zone: str, localtime) -> str:
    """Where the dispatch stands, in words: confirmed by whom and when, at which step, or failed."""
    if message.status == "delivered":
        who = people.name(message.confirmed_by) or message.confirmed_by or "—"
        if message.confirmed_by and who != message.confirmed_by:
            who = f"{who} ({message.confirmed_by})"
        return t("msgs.delivered_by", who=who, at=localtime(message.confirmed_at, zone, False))
    if message.status == "dispatching" and message.step is not None and message.step < len(message.steps):
        step = message.steps[message.step]
        return t("msgs.at_step", n=message.step + 1, total=len(message.steps),
                 channel=t(CHANNEL_KEYS.get(step.channel, "msgs.channel_alert")))
    return t(STATUS_KEYS[message.status])


def steps(t: Translator, people: People, message: Message) -> list[StepView]:
    out = []
    for n, step in enumerate(message.steps):
        if step.channel == "alert":
            to = t("msgs.dispatcher")
        elif step.to == ON_CALL:  # another schedule than the default one is named
            to = t("msgs.on_call") + ("" if step.schedule == DEFAULT_SCHEDULE else f" ({step.schedule})")
        else:
            to = people.name(None, step.to if isinstance(step.to, int) else None) or t("msgs.contact", id=step.to)
        out.append(StepView(n + 1, t(CHANNEL_KEYS.get(step.channel, "msgs.channel_alert")), to, step.wait_s,
                            message.status == "dispatching" and message.step == n))
    return out
