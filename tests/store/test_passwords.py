from store.passwords import DUMMY_HASH, hash_password, verify_password


def test_scrypt_hash_verifies_and_is_salted():
    h1, h2 = hash_password("correct horse"), hash_password("correct horse")
    assert h1.startswith("scrypt$15$8$1$") and h1 != h2
    assert verify_password("correct horse", h1) and verify_password("correct horse", h2)
    assert not verify_password("correct hors", h1)


def test_malformed_or_foreign_hashes_never_verify():
    for stored in ("", "plain", "md5$x", "scrypt$a$b$c$d$e", DUMMY_HASH):
        assert not verify_password("anything", stored)
