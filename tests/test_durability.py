"""kill -9 during a stream of ticket issues loses no acknowledged ticket and reuses no number."""

from __future__ import annotations

import asyncio

import aiohttp

from .serverproc import ALL_DAY_HALL, ServerProcess, hallqueue

ISSUERS = 8
KILL_AFTER_ACKS = 300


async def test_sigkill_loses_no_acknowledged_ticket(tmp_path):
    db, config = tmp_path / "hall.db", tmp_path / "hall.toml"
    # Eight issuers share one kiosk token here: the per-kiosk rate limit is not under test.
    config.write_text(ALL_DAY_HALL + "\n[limits]\nkiosk_tickets_per_minute = 0\n", encoding="utf-8")
    result = hallqueue(db, "device", "add", "kiosk-1", "--kind", "kiosk")
    assert result.returncode == 0, result.stderr
    headers = {"Authorization": f"Bearer {result.stdout.strip()}"}
    server = ServerProcess(db, config, tmp_path / "server.log")
    await server.start()
    acked: dict[int, str] = {}
    killed = asyncio.Event()

    async def issuer(k: int, session: aiohttp.ClientSession) -> int:
        failures = 0
        i = 0
        while not killed.is_set() or failures == 0:
            i += 1
            body = {"service": "hukou" if i % 2 else "idcard", "request_id": f"issuer{k}-{i}"}
            try:
                async with session.post(server.url + "/api/tickets", json=body, headers=headers) as resp:
                    if resp.status == 201:
                        ticket = await resp.json()  # acknowledged: must survive
                        acked[ticket["id"]] = ticket["number"]
                        if len(acked) >= KILL_AFTER_ACKS and not killed.is_set():
                            server.kill()
                            killed.set()
            except aiohttp.ClientError:
                failures += 1
        return failures

    try:
        async with aiohttp.ClientSession() as session:
            failures = await asyncio.gather(*(issuer(k, session) for k in range(ISSUERS)))
        assert killed.is_set() and all(failures)  # requests were in flight when it died

        await server.start()
        async with aiohttp.ClientSession() as session:
            for ticket_id, number in acked.items():
                async with session.get(f"{server.url}/api/tickets/{ticket_id}", headers=headers) as resp:
                    assert resp.status == 200, (ticket_id, await resp.text())
                    assert (await resp.json())["number"] == number
            async with session.post(server.url + "/api/tickets", json={"service": "hukou"}, headers=headers) as resp:
                assert resp.status == 201
                new_number = (await resp.json())["number"]
        highest = max(int(n[1:]) for n in acked.values())
        assert int(new_number[1:]) > highest, (new_number, highest)
        audit = hallqueue(db, "events", "--verify")
        assert audit.returncode == 0, audit.stderr
    finally:
        server.stop()
