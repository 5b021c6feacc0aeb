"""Cross-tenant walk: client 2000 (bob) tries every history, recording, statistics and report route with client
1000's ids (calls, recordings, client code) and gets 404, the same answer as for what does not exist;
what bob may list shows nothing of client 1000."""

from __future__ import annotations

import csv
import io

from .conftest import Api
from .history_data import ALICE_IDS, with_history


async def test_a_second_client_reaches_nothing_of_the_first(api: Api):
    who = await with_history(api)
    alice_calls = (await (await api.client.get("/api/calls?limit=100", headers=who["alice"])).json())["calls"]
    rec_ids = [r["id"] for c in alice_calls for r in c["recordings"]]
    assert [c["linkedid"] for c in alice_calls] == ALICE_IDS and len(rec_ids) == 3
    walk = [f"/api/calls/{linkedid}" for linkedid in [*ALICE_IDS, "old"]]
    walk += [f"/api/recordings/{rec_id}" for rec_id in rec_ids]
    walk += ["/api/calls?client=1000", "/api/calls?client=1000&format=csv", "/api/stats?client=1000",
             "/api/stats?client=1000&queue=1000-accueil", "/api/recordings/access",
             f"/api/recordings/access?recording={rec_ids[0]}", "/api/recordings/access?client=1000",
             "/api/reports?client=1000", "/api/reports?client=1000&format=csv&group=queue",
             "/api/reports/daily?client=1000"]
    for path in walk:
        resp = await api.client.get(path, headers=who["bob"])
        assert resp.status == 404, path
        body = await resp.json()
        assert body["error"].endswith("not found") and "1000" not in body["error"], (path, body)
        nowhere = await api.client.get(path.replace("1000", "9999").replace("170", "990"), headers=who["bob"])
        assert nowhere.status == 404 and (await nowhere.json()).keys() == body.keys(), path  # same answer shape

    listed = (await (await api.client.get("/api/calls?limit=500", headers=who["bob"])).json())["calls"]
    assert {c["client_code"] for c in listed} == {"2000"}
    exported = await (await api.client.get("/api/calls?format=csv", headers=who["bob"])).text()
    assert {r["client_code"] for r in csv.DictReader(io.StringIO(exported))} == {"2000"}
    for query in ("", "queue=1000-accueil"):
        stats = await (await api.client.get(f"/api/stats?{query}", headers=who["bob"])).json()
        assert stats["client"] == "2000" and stats["contact_reasons"] == [] and stats["top_callers"] == [], query
        assert stats["totals"]["offered"] == (1 if not query else 0) and stats["queues"] == [], query
