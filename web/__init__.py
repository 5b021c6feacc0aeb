"""web: people ask us. The aiohttp application (API for now; portal pages come later)."""

from .app import make_app
from .passwords import hash_password, verify_password

__all__ = ["hash_password", "make_app", "verify_password"]
