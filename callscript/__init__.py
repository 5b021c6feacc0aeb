"""callscript: a client's script — the questions an agent asks on a call — and walking it. Pure, no I/O:
the store keeps scripts (store/scripts.py) and the answers become a message (store/messages.py)."""

from .answers import KINDS, AnswerError, Refusal, caller_language, prefill, read_answer, summary, validate, visible
from .model import TYPES, Choice, Condition, Question, Script, ScriptError, parse_script

__all__ = ["KINDS", "TYPES", "AnswerError", "Choice", "Condition", "Question", "Refusal", "Script", "ScriptError",
           "caller_language", "parse_script", "prefill", "read_answer", "summary", "validate", "visible"]
