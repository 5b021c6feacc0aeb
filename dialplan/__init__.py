"""dialplan: all Asterisk text. The static files live in etc/asterisk/; this package renders the
parts that depend on the configuration (addresses, ports, accounts, secrets) and checks the rest."""

from .render import SIP_REALM, AgentPhone, AsteriskSettings, QueueMember, Softphone, render_local, write_config

__all__ = ["SIP_REALM", "AgentPhone", "AsteriskSettings", "QueueMember", "Softphone", "render_local", "write_config"]
