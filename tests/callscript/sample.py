"""A plumber's script used by the tests: a name, a callback number, the nature of the call (a choice),
whether water is running (yes/no, only for a leak), how many rooms are flooded (a number, only when it
runs), an email, a date, and notes."""

SCRIPT = {"questions": [
    {"key": "name", "text": {"fr": "Nom de l'appelant", "en": "Caller's name"}, "type": "text", "required": True},
    {"key": "callback", "text": {"fr": "Numéro de rappel", "en": "Callback number"}, "type": "phone",
     "required": True},
    {"key": "nature", "text": {"fr": "Nature de l'appel", "en": "Nature of the call"}, "type": "choice",
     "required": True, "choices": [{"value": "leak", "fr": "Fuite", "en": "Leak"},
                                   {"value": "quote", "fr": "Soumission", "en": "Quote"},
                                   {"value": "other", "fr": "Autre", "en": "Other"}]},
    {"key": "running", "text": {"fr": "L'eau coule-t-elle encore ?", "en": "Is water still running?"},
     "type": "yes_no", "required": True, "conditions": [{"key": "nature", "equals": "leak"}]},
    {"key": "rooms", "text": {"fr": "Pièces inondées", "en": "Rooms flooded"}, "type": "number",
     "conditions": [{"key": "running", "equals": True}]},
    {"key": "email", "text": {"fr": "Courriel", "en": "Email"}, "type": "email",
     "conditions": [{"key": "nature", "in": ["quote", "other"]}]},
    {"key": "visit", "text": {"fr": "Date de visite souhaitée", "en": "Visit wanted on"}, "type": "date"},
    {"key": "notes", "text": {"fr": "Notes", "en": "Notes"}, "type": "long_text"},
]}
