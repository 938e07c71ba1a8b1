"""Fifty clerks at fifty windows call next at the same time: nobody gets a ticket twice."""

from __future__ import annotations

import asyncio
from collections import Counter

from queue_server.api.app import init_app
from queue_server.config.hall_file import parse_hall_config

from .conftest import PASSWORD, hall_data, provision

WINDOWS = 50
TICKETS = 600


async def test_fifty_clerks_never_get_the_same_ticket(aiohttp_client, tmp_path, clock):
    data = hall_data()
    data["windows"] = [{"number": n, "name": f"窗口{n}", "services": ["hukou"]} for n in range(1, WINDOWS + 1)]
    data["windows"][0]["services"] = ["hukou", "idcard", "tax", "water-pay"]
    data["services"][2].pop("daily_cap")
    # One kiosk stands in for the hall's many here: its per-kiosk rate limit is not under test.
    data["limits"] = {"kiosk_tickets_per_minute": 0}
    config = parse_hall_config(data, "fifty.toml")
    db_path = tmp_path / "hall.db"
    kiosk, _ = provision(db_path, config.windows)
    client = await aiohttp_client(init_app(config, db_path, clock))
    kiosk_headers = {"Authorization": f"Bearer {kiosk}"}

    async def login(n: int) -> dict[str, str]:
        resp = await client.post("/api/login", json={"login": f"clerk{n}", "password": PASSWORD, "window": n})
        assert resp.status == 200, await resp.text()
        return {"Authorization": f"Bearer {(await resp.json())['token']}"}

    clerks = await asyncio.gather(*(login(n) for n in range(1, WINDOWS + 1)))

    async def kiosk_stream(count: int) -> list[int]:
        ids = []
        for _ in range(count):
            resp = await client.post("/api/tickets", json={"service": "hukou"}, headers=kiosk_headers)
            assert resp.status == 201, await resp.text()
            ids.append((await resp.json())["id"])
        return ids

    # Half the tickets are there before the clerks start; the rest arrive while they call.
    issued = await kiosk_stream(TICKETS // 2)

    async def clerk_loop(n: int, headers: dict[str, str], stop: asyncio.Event) -> list[int]:
        called = []
        while True:
            resp = await client.post(f"/api/windows/{n}/call-next", headers=headers)
            if resp.status == 204:
                if stop.is_set():
                    return called
                await asyncio.sleep(0)
                continue
            assert resp.status == 200, await resp.text()
            ticket = await resp.json()
            assert ticket["window"] == n and ticket["status"] == "called"
            called.append(ticket["id"])
            resp = await client.post(f"/api/tickets/{ticket['id']}/finish", headers=headers)
            assert resp.status == 200, await resp.text()

    stop = asyncio.Event()
    loops = [asyncio.create_task(clerk_loop(n, h, stop)) for n, h in enumerate(clerks, start=1)]
    more = await asyncio.gather(*(kiosk_stream(TICKETS // 20) for _ in range(10)))
    issued += [i for part in more for i in part]
    stop.set()
    results = await asyncio.gather(*loops)

    called = Counter(i for per_clerk in results for i in per_clerk)
    assert len(issued) == TICKETS
    assert sorted(called) == sorted(issued)  # every ticket called ...
    assert set(called.values()) == {1}  # ... exactly once
    assert sum(1 for r in results if r) > 1  # and the work really was shared

    from queue_server.store.database import open_database

    db = open_database(db_path)
    calls = Counter(r[0] for r in db.execute("SELECT ticket_id FROM events WHERE kind = 'called'"))
    done = db.execute("SELECT count(*) FROM tickets WHERE status = 'done'").fetchone()[0]
    db.close()
    assert set(calls.values()) == {1} and len(calls) == TICKETS and done == TICKETS
