"""Who is asking: every read of client data goes through a Scope, so isolation lives in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """An admin sees every client; anyone else sees exactly one client code."""

    client_code: str | None
    admin: bool = False

    @classmethod
    def everything(cls) -> Scope:
        return cls(client_code=None, admin=True)

    @classmethod
    def client(cls, code: str) -> Scope:
        if not code:
            raise ValueError("a client scope needs a client code")
        return cls(client_code=code, admin=False)

    def where(self, column: str = "client_code") -> tuple[str, list[str]]:
        """SQL condition and parameters restricting rows to this scope."""
        if self.admin:
            return "1 = 1", []
        return f"{column} = ?", [self.client_code or ""]
