"""The admin app of admin_support with a second client user (bob, client 2000) for the cross-tenant walks."""

from __future__ import annotations

from store import users
from web import hash_password

from .admin_support import Admin

BOB = ("bob", "bob-secret-2")


async def with_bob(admin: Admin) -> None:
    await admin.store.write(lambda db: users.add_user(db, BOB[0], hash_password(BOB[1], log2_n=10), "client", "2000"))
    resp = await admin.client.post("/api/login", json={"login": BOB[0], "password": BOB[1]})
    assert resp.status == 200
    admin.tokens[BOB[0]] = (await resp.json())["token"]
