"""web: people ask us. The aiohttp application (API for now; portal pages come later)."""

from store.passwords import hash_password, verify_password

from .app import make_app

__all__ = ["hash_password", "make_app", "verify_password"]
