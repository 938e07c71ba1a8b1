"""潮汐窗口: the hall manager changes which services a window serves while tickets wait; the next
call follows the new list, the change is in the audit log, survives a restart, and screens hear it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from queue_server.api.app import init_app
from queue_server.core import errors
from queue_server.core.hall_window_services import ServiceUnserved
from queue_server.core.model import EventKind, Priority

from .conftest import OPENING, Hall
from .test_api import error_of
from .test_core import new_state


def test_the_next_call_follows_the_new_list():
    state = new_state()
    tax = state.issue("tax", Priority.NORMAL, "kiosk:k", OPENING).ticket_id
    state.issue("hukou", Priority.NORMAL, "kiosk:k", OPENING + timedelta(minutes=1))
    state.take_journal()
    assert state.set_window_services(1, ("tax", "hukou"), "manager:m", OPENING)  # 户政1 helps with 纳税
    [event] = state.take_journal().events
    assert event.kind is EventKind.WINDOW_SERVICES_CHANGED and event.window == 1
    assert event.data["services"] == ["tax", "hukou"] and event.data["before"] == ["hukou", "idcard"]
    assert state.call_next(1, "clerk:c1", OPENING + timedelta(minutes=2)).id == tax
    state.take_journal()
    assert not state.set_window_services(1, ("tax", "hukou"), "manager:m", OPENING)  # no change, no event
    assert not state.take_journal().events


def test_a_change_that_would_strand_a_service_is_refused():
    state = new_state()
    with pytest.raises(ServiceUnserved, match="水费缴纳将没有窗口办理"):
        state.set_window_services(4, ("tax",), "manager:m", OPENING)  # window 4 is 水费's only window
    state.set_window_services(4, ("water-pay", "idcard"), "manager:m", OPENING)  # 4 gives up tax: 3 has it
    with pytest.raises(errors.UnknownService):
        state.set_window_services(1, ("gas",), "manager:m", OPENING)
    with pytest.raises(errors.UnknownWindow):
        state.set_window_services(99, ("tax",), "manager:m", OPENING)


async def test_over_the_api_with_the_audit_log_and_a_restart(hall, aiohttp_client, hall_config, guides, clock):
    manager = await hall.manager()
    resp = await hall.client.put("/api/windows/2/services", json={"services": ["tax", "idcard"]}, headers=manager)
    body = await resp.json()
    assert (
        resp.status == 200 and body["changed"] and [s["name"] for s in body["services"]] == ["纳税申报", "居民身份证"]
    )
    clerk = await hall.clerk(2)
    resp = await hall.client.put("/api/windows/2/services", json={"services": ["tax"]}, headers=clerk)
    assert await error_of(resp, 403) == "forbidden"
    resp = await hall.client.put("/api/windows/4/services", json={"services": ["tax"]}, headers=manager)
    assert await error_of(resp, 409) == "service_unserved"
    tax = await hall.issue("tax")
    called = await (await hall.client.post("/api/windows/2/call-next", headers=clerk)).json()
    assert called["id"] == tax["id"]
    db = hall.db()
    kinds = [r[0] for r in db.execute("SELECT actor FROM events WHERE kind = 'window_services_changed'")]
    db.close()
    assert kinds == ["manager:manager"]
    await hall.client.close()
    # A restart keeps the manager's change until it is changed again.
    again = Hall(
        await aiohttp_client(init_app(hall_config, hall.db_path, clock, guides)),
        hall.db_path,
        clock,
        hall.kiosk_token,
        hall.display_token,
    )
    state = await (await again.client.get("/api/state")).json()
    assert {w["number"]: w["services"] for w in state["windows"]}[2] == ["tax", "idcard"]


async def test_the_manager_changes_a_windows_services_on_the_admin_page(tmp_path):
    from .browser import chromium
    from .conftest import ARTIFACTS
    from .fullhall import FullHall
    from .test_staff_pages import sign_in

    hall = FullHall(tmp_path)
    await hall.start()
    try:
        await hall.busy()
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            await sign_in(page, hall, "manager")
            await page.wait_for_selector("#tidal-services input[data-service='water-pay']", state="attached")
            await page.select_option("#tidal-window", "35")
            await page.fill("#tidal-filter", "用电")  # 用电报装, 用电过户, 用电业务咨询
            await page.check("#tidal-services input[data-service='power-install']")
            assert await page.locator("#tidal-services input").count() == 3
            await page.click("#tidal-form button[type=submit]")
            await page.wait_for_function(
                "() => (document.querySelector('#message')?.textContent || '').includes('35 号窗口现办理')"
            )
            await page.locator("#tidal-card").screenshot(path=str(ARTIFACTS / "admin-tidal-window.png"))
        state = await hall.api("GET", "/api/state")
        services = {w["number"]: w["services"] for w in state["windows"]}[35]
        assert services[-1] == "power-install" and "water-pay" in services
        kiosk_ticket = await hall.api("POST", "/api/tickets", hall.kiosk, {"service": "power-install"})
        assert "35" in kiosk_ticket["where"]  # tickets now send visitors there too
    finally:
        hall.stop()
