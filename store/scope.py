"""Who is asking: every read of client data goes through a Scope, so isolation lives in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """An admin sees every client; a client user sees exactly one client code; an agent sees no client
    as a whole, only the calls that reached their softphone (store.calls)."""

    client_code: str | None
    admin: bool = False
    agent_id: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(client_code=None, admin=True)

    @classmethod
    def client(cls, code: str) -> Scope:
        if not code:
            raise ValueError("a client scope needs a client code")
        return cls(client_code=code, admin=False)

    @classmethod
    def agent(cls, agent_id: str) -> Scope:
        if not agent_id:
            raise ValueError("an agent scope needs an agent id")
        return cls(client_code=None, admin=False, agent_id=agent_id)

    def where(self, column: str = "client_code") -> tuple[str, list[str]]:
        """SQL condition and parameters restricting rows to this scope's clients."""
        if self.admin:
            return "1 = 1", []
        if self.agent_id is not None:
            return "0 = 1", []  # no client's data as such: the calls of an agent are checked per call
        return f"{column} = ?", [self.client_code or ""]
