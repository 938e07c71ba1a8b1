"""The visitor's phone over HTTP: the view of /api/t/CODE, its live push (Server-Sent Events), and
扫码评价 — against the real server and database."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from queue_server.api.appkeys import PHONE_WATCH
from queue_server.core.model import Event, EventKind
from queue_server.runtime.phone_watch import Listener, PhoneWatch
from tests.conftest import OPENING


def code_of(ticket: dict) -> str:
    return ticket["status_path"].rsplit("/", 1)[1]


async def view(hall, ticket: dict) -> dict:
    resp = await hall.client.get(f"/api/t/{code_of(ticket)}")
    assert resp.status == 200, await resp.text()
    return await resp.json()


class Stream:
    """A phone's open push stream: the events as they come."""

    def __init__(self, resp) -> None:
        self.resp = resp

    async def next(self, kind: str = "ticket", timeout: float = 5.0) -> tuple[int | None, dict]:
        async def read() -> tuple[int | None, dict]:
            event, seq, data = None, None, None
            while True:
                line = (await self.resp.content.readline()).decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("id: "):
                    seq = int(line[4:])
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and event is not None:
                    if event == kind:
                        return seq, data
                    event, seq, data = None, None, None

        return await asyncio.wait_for(read(), timeout)

    async def until(self, wanted, timeout: float = 5.0) -> tuple[int, dict, int]:
        """The first view pushed that ``wanted`` accepts, and how many pushes came before it."""
        skipped = 0
        while True:
            seq, data = await self.next(timeout=timeout)
            if wanted(data):
                return seq, data, skipped
            skipped += 1


async def test_the_view_says_one_thing_at_each_step(hall):
    first = await hall.issue("hukou")
    tickets = [first] + [await hall.issue("hukou") for _ in range(4)]
    last = await view(hall, tickets[-1])
    assert last["headline"].startswith("前面还有 4 人，预计等候约")
    assert last["soon"] is False and last["notify_ahead"] == 3 and last["waiting_ahead"] == 4
    assert [s["window"] for s in last["serving"]] == [1, 2]  # the windows of 户口迁移, none open yet
    assert {s["text"] for s in last["serving"]} == {"未开放"}
    clerk = await hall.clerk(1)
    await hall.client.post("/api/windows/1/call-next", headers=clerk)
    last = await view(hall, tickets[-1])
    assert last["headline"] == "快到您了：前面还有 3 人" and last["soon"] is True
    assert last["serving"][0] == {"window": 1, "number": "A001", "text": "A001"}
    called = await view(hall, first)
    assert called["headline"] == "请到 1 号窗口办理" and called["window"] == 1 and called["detail"] == "户政1"
    assert called["serving"] == [] and called["can_rate"] is False
    await hall.client.post(f"/api/tickets/{first['id']}/recall", headers=clerk)
    assert (await view(hall, first))["headline"] == "再次呼叫：请到 1 号窗口办理"
    await hall.client.post(f"/api/tickets/{first['id']}/start", headers=clerk)
    assert (await view(hall, first))["headline"] == "正在 1 号窗口办理"
    await hall.client.post(f"/api/tickets/{first['id']}/finish", headers=clerk)
    done = await view(hall, first)
    assert done["headline"] == "已办结，谢谢您的耐心" and done["can_rate"] is True and done["rated"] is False
    # 过号: the phone says until when the visitor can be called back (no_show_recall_minutes, 30).
    second = tickets[1]
    await hall.client.post("/api/windows/1/call-next", headers=clerk)
    await hall.client.post(f"/api/tickets/{second['id']}/no-show", headers=clerk)
    missed = await view(hall, second)
    if missed["status"] == "waiting":  # the test hall requeues a 过号 once
        await hall.client.post("/api/windows/1/call-next", headers=clerk)
        await hall.client.post(f"/api/tickets/{second['id']}/no-show", headers=clerk)
        missed = await view(hall, second)
    assert missed["status"] == "no_show" and missed["headline"] == "已过号"
    assert missed["advice"].startswith("请在 09:30 前到 1 号窗口或咨询台说明")
    assert (await hall.client.get("/api/t/nosuchcode")).status == 404


async def test_a_change_reaches_the_open_stream_at_once_and_only_when_it_concerns_the_ticket(hall):
    tickets = [await hall.issue("hukou") for _ in range(5)]
    other = await hall.issue("tax")
    async with hall.client.get(f"/api/t/{code_of(tickets[-1])}/events") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["Cache-Control"] == "no-store"
        stream = Stream(resp)
        seq, start = await stream.next()
        assert start["waiting_ahead"] == 4 and "seq" not in start
        clerk = await hall.clerk(1)  # window 1 opens: the estimate and the window list change
        _, pushed = await stream.next()
        assert pushed["serving"][0] == {"window": 1, "number": None, "text": "空闲"}
        await hall.client.post("/api/windows/1/call-next", headers=clerk)
        later, pushed = await stream.next()
        assert later > seq and pushed["headline"] == "快到您了：前面还有 3 人"
        # A tax window's call does not concern a 户口迁移 ticket: the next push is the next real change.
        tax_clerk = await hall.clerk(3)
        await hall.client.post("/api/windows/3/call-next", headers=tax_clerk)
        await hall.client.post(f"/api/tickets/{other['id']}/finish", headers=tax_clerk)
        await hall.client.post(f"/api/tickets/{tickets[0]['id']}/finish", headers=clerk)  # the estimate learns
        await hall.client.post("/api/windows/1/call-next", headers=clerk)
        _, pushed, skipped = await stream.until(lambda v: v["waiting_ahead"] == 2)
        assert skipped <= 1 and pushed["serving"][0]["number"] == "A002"
    # The phone went away: its listener is gone from the registry.
    watch = hall.client.app[PHONE_WATCH]
    for _ in range(50):
        if len(watch) == 0:
            break
        await asyncio.sleep(0.02)
    assert len(watch) == 0


def test_the_watch_rebuilds_only_tickets_an_event_concerns():
    built: list[int] = []

    class State:
        def __init__(self) -> None:
            from types import SimpleNamespace

            self.config = SimpleNamespace(windows={1: SimpleNamespace(services=("hukou",))})
            self.active = {7: SimpleNamespace(id=7, number="A007", services=("hukou",))}
            self.ended_today = {}
            self.last_event_seq = 10

    def build(state, ticket, now):
        built.append(ticket.id)
        return {"seq": state.last_event_seq, "headline": f"v{len(built)}"}

    watch = PhoneWatch(build)
    listener = Listener(7, "A007")
    watch.add(listener)
    state = State()

    def event(kind, service=None, window=None) -> Event:
        ticket = {"id": 99, "service": service} if service else None
        return Event(1, OPENING, kind, "test", ticket, window=window)

    watch.observe(state, [event(EventKind.ISSUED, "tax")], datetime.now(), False)
    assert built == [] and listener.latest is None
    watch.observe(state, [event(EventKind.CALLED, "idcard", window=1)], datetime.now(), False)
    assert built == [7] and listener.latest == (10, '{"headline": "v1"}')
    state.last_event_seq = 11
    watch.observe(state, [event(EventKind.WINDOW_SERVICES_CHANGED)], datetime.now(), False)
    assert built == [7, 7] and listener.latest == (11, '{"headline": "v2"}')
    watch.remove(listener)
    assert len(watch) == 0


async def served(hall, service: str = "hukou", window: int = 1) -> dict:
    ticket = await hall.issue(service)
    clerk = await hall.clerk(window)
    assert (await hall.client.post(f"/api/windows/{window}/call-next", headers=clerk)).status == 200
    assert (await hall.client.post(f"/api/tickets/{ticket['id']}/finish", headers=clerk)).status == 200
    return ticket


async def rate(hall, ticket: dict, body: dict):
    return await hall.client.post(f"/api/t/{code_of(ticket)}/rating", json=body)


async def test_rating_by_phone_once_and_never_after_the_tablet(hall):
    waiting = await hall.issue("idcard")
    refused = await rate(hall, waiting, {"level": 5})
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "nothing_to_rate"
    assert "还没有办结" in (await refused.json())["error"]["message"]
    ticket = await served(hall)
    resp = await rate(hall, ticket, {"level": 5})
    assert resp.status == 201, await resp.text()
    assert await resp.json() == {"number": ticket["number"], "level": 5, "level_label": "非常满意", "followup": False}
    again = await rate(hall, ticket, {"level": 1, "reasons": ["等候时间"]})
    assert again.status == 409 and (await again.json())["error"]["code"] == "already_rated"
    # The window's tablet no longer offers the ticket the visitor rated by phone.
    pending = await hall.client.get("/api/windows/1/rating", headers=hall.evaluator(1))
    assert pending.status == 204
    after = await view(hall, ticket)
    assert after["can_rate"] is False and after["rated"] is True
    row = hall.db().execute("SELECT window, clerk, rated_by, level FROM ratings").fetchall()
    assert row == [(1, "clerk1", "phone:visitor", 5)]
    # The tablet rated first: the phone is refused.
    second = await served(hall)
    tablet = await hall.client.post("/api/windows/1/rating", json={"level": 4}, headers=hall.evaluator(1))
    assert tablet.status == 201
    late = await rate(hall, second, {"level": 5})
    assert late.status == 409 and (await late.json())["error"]["code"] == "already_rated"


async def test_a_low_rating_by_phone_needs_a_reason_and_opens_the_follow_up(hall):
    ticket = await served(hall)
    bare = await rate(hall, ticket, {"level": 2})
    assert bare.status == 400 and "原因" in (await bare.json())["error"]["message"]
    bad_phone = await rate(hall, ticket, {"level": 2, "reasons": ["等候时间"], "phone": "12"})
    assert bad_phone.status in (400, 422)
    resp = await rate(
        hall, ticket, {"level": 2, "reasons": ["等候时间"], "comment": "等了很久", "phone": "13812345678"}
    )
    assert resp.status == 201 and (await resp.json())["followup"] is True
    overview = await hall.client.get("/api/admin/overview", headers=await hall.manager())
    [followup] = (await overview.json())["followups"]
    assert followup["number"] == ticket["number"] and followup["window"] == 1 and followup["comment"] == "等了很久"
    assert "13812345678" not in json.dumps(followup)  # masked in the list; revealed on request only
    revealed = await hall.client.get(f"/api/followups/{followup['id']}/phone", headers=await hall.manager())
    assert (await revealed.json())["phone"] == "13812345678"
    assert (await hall.client.post("/api/t/nosuchcode/rating", json={"level": 5})).status == 404


async def test_the_clerk_who_served_is_on_the_ticket(hall):
    ticket = await served(hall, window=2)
    [(clerk,)] = hall.db().execute("SELECT clerk FROM tickets WHERE id = ?", [ticket["id"]]).fetchall()
    assert clerk == "clerk2"


def test_the_phone_script_is_plain_es5_for_old_phone_browsers():
    """WeChat's built-in browser on an old phone runs ES5: no arrow functions, let/const, template
    strings, classes, fetch or promises-only APIs in the page's script."""
    import re
    from importlib import resources

    script = resources.files("queue_server").joinpath("static/phone.js").read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*", "", script)  # comments may say anything
    for modern in (r"=>", r"\blet\b", r"\bconst\b", r"`", r"\bclass\b", r"\bfetch\(", r"\basync\b", r"\.then\("):
        assert not re.search(modern, code), modern
    assert "window.EventSource" in code and "XMLHttpRequest" in code  # the push, and the poll without it
