"""dispatch: getting each message to someone who confirms it, by the client's protocol.

The Dispatcher (a task of `permanence serve`) moves every message step by step — SMS through Kannel,
a phone call through AMI, email over SMTP, then the dispatcher's alert — and keeps where each stands
in the store (store.dispatch), so a restart resumes at the same step and deadline.
"""
