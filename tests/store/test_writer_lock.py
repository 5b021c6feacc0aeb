"""The writer against another process's writes: a job that reads then writes is never refused because
someone committed between its read and its write (the CLI writes while `permanence serve` runs)."""

from __future__ import annotations

import threading
import time

from store import Store, connect, migrate


async def test_a_read_then_write_job_waits_out_another_connections_commit(tmp_path):
    path = tmp_path / "s.sqlite3"
    migrate(path)
    store = Store(path)
    store.open()
    other_done: list[str] = []

    def other_process_writes() -> None:
        db = connect(path)  # another process's connection (the CLI's)
        try:
            db.execute("INSERT INTO clients (code, name, created_at) VALUES ('2000', 'Other', 'now')")
            other_done.append("committed")
        finally:
            db.close()

    def job(db) -> int:
        count = db.execute("SELECT count(*) FROM clients").fetchone()[0]  # a read first
        other = threading.Thread(target=other_process_writes)
        other.start()
        time.sleep(0.3)  # the other connection tries to commit now, between the read and the write
        db.execute("INSERT INTO clients (code, name, created_at) VALUES ('1000', 'Mine', 'now')")
        job.other = other  # type: ignore[attr-defined]
        return count

    try:
        assert await store.write(job) == 0  # no "database is locked"
        job.other.join(10)  # type: ignore[attr-defined]
        assert other_done == ["committed"]  # it waited for the write lock, then committed
        rows = await store.read(lambda db: [r["code"] for r in db.query("SELECT code FROM clients ORDER BY code")])
        assert rows == ["1000", "2000"]
    finally:
        store.close()
