"""web: people ask us. The aiohttp application: the API, and the portal's pages (web/pages)."""

from store.passwords import hash_password, verify_password

from .app import make_app

__all__ = ["hash_password", "make_app", "verify_password"]
