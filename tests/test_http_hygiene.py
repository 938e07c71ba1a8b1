"""What every answer shares: security headers, no server version, 405 with Allow, one access-log
line per request that never holds a token, ``--log-level`` honoured by a real server, no secrets
on its stdout, and the HTML pages working under their Content-Security-Policy in Chromium."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time

import aiohttp
import pytest

from queue_server.api.pages import CONTENT_SECURITY_POLICY

from .browser import chromium
from .conftest import provision
from .serverproc import ALL_DAY_HALL, ServerProcess, free_port

ACCESS_LINE = re.compile(r"^(GET|POST|PUT|DELETE|HEAD) (/\S*) (\d{3}|-) \d+\.\dms ([a-z]+)$")


def assert_shared_headers(resp: aiohttp.ClientResponse) -> None:
    where = f"{resp.method} {resp.url.path} {resp.status}"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where
    assert resp.headers.get("Referrer-Policy") == "no-referrer", where
    assert "Server" not in resp.headers, where


def assert_page_policy(resp: aiohttp.ClientResponse) -> None:
    policy = resp.headers.get("Content-Security-Policy", "")
    assert policy == CONTENT_SECURITY_POLICY, resp.url.path
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and "unsafe" not in policy


async def test_every_answer_has_the_shared_headers_and_names_no_server(hall):
    ticket = await hall.issue("hukou")
    requests = [
        ("GET", "/api/health", None, None),
        ("GET", "/api/state", None, None),
        ("GET", "/api/openapi.json", None, None),
        ("GET", f"/api/tickets/{ticket['id']}", hall.kiosk(), None),
        ("POST", "/api/tickets", None, {"service": "hukou"}),  # 401
        ("POST", "/api/tickets", hall.kiosk(), {"service": "nope"}),  # 4xx from the body
        ("GET", "/no/such/page", None, None),  # 404
        ("GET", "/display/static/lobby.js", None, None),
        ("GET", "/static/status.css", None, None),
        ("GET", "/api/events", None, None),  # not a WebSocket: 400 from the handshake
    ]
    for method, path, headers, body in requests:
        async with hall.client.request(method, path, headers=headers, json=body) as resp:
            assert_shared_headers(resp)
            assert "Content-Security-Policy" not in resp.headers or resp.content_type == "text/html"
    for path in ("/display", "/clerk", "/admin", "/rate/1", ticket["status_path"]):
        async with hall.client.get(path) as resp:
            assert resp.status == 200 and resp.content_type == "text/html", path
            assert_shared_headers(resp)
            assert_page_policy(resp)
    async with hall.client.ws_connect("/api/events") as ws:
        assert_shared_headers(ws._response)


async def test_the_status_page_has_no_inline_style(hall):
    ticket = await hall.issue("hukou")
    page = await (await hall.client.get(ticket["status_path"])).text()
    assert "<style" not in page and "style=" not in page
    assert page.count("<script") == 1 and '<script src="/static/phone.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/status.css">' in page
    resp = await hall.client.get("/static/status.css")
    assert resp.status == 200 and resp.content_type == "text/css" and ".number" in await resp.text()


@pytest.mark.parametrize(("method", "path", "allowed"), [("DELETE", "/api/state", "GET"), ("POST", "/display", "GET")])
async def test_405_says_what_is_allowed(hall, method, path, allowed):
    resp = await hall.client.request(method, path)
    assert resp.status == 405
    assert allowed in {m.strip() for m in resp.headers["Allow"].split(",")}
    assert (await resp.json())["error"]["code"] == "method_not_allowed"
    assert_shared_headers(resp)


async def test_one_access_line_per_request_and_never_a_token(hall, caplog):
    caplog.set_level(logging.INFO, logger="hallqueue.access")
    ticket = await hall.issue("hukou")
    h1 = await hall.clerk(1)
    await hall.client.get("/api/state?secret=hunter2")
    await hall.client.post("/api/windows/1/call-next", headers=h1)
    await hall.client.get("/api/%0Aforged 200 0.0ms admin")
    await hall.client.get(ticket["status_path"])
    await hall.client.get("/book/K7M2XQ9P")  # a booking's link, and its code checking in
    await hall.client.post("/api/bookings/K7M2XQ9P/check-in", json={}, headers=hall.kiosk())
    await hall.client.post("/api/tickets", json={"service": "hukou"}, headers={"Authorization": "Bearer not-a-token"})
    protocols = ("hallqueue", f"bearer.{hall.display_token}")
    async with hall.client.ws_connect("/api/events?since=0", protocols=protocols) as ws:
        await ws.receive()
    await hall.client.get("/api/health")  # after the socket's line: the close has been handled

    records = [r for r in caplog.records if r.name == "hallqueue.access"]
    lines = [r.getMessage() for r in records]
    assert all(r.levelno == logging.INFO for r in records)
    parsed = [ACCESS_LINE.match(line) for line in lines]
    assert all(parsed), lines
    got = [(m[1], m[2], m[3], m[4]) for m in parsed]
    assert ("POST", "/api/tickets", "201", "kiosk") in got
    assert ("GET", "/api/state", "200", "anonymous") in got
    assert ("POST", "/api/windows/1/call-next", "200", "clerk") in got
    assert ("POST", "/api/tickets", "401", "anonymous") in got
    assert ("GET", "/t/…", "200", "anonymous") in got  # the ticket's link stays out
    assert ("GET", "/book/…", "200", "anonymous") in got
    assert ("POST", "/api/bookings/…/check-in", "404", "kiosk") in got
    assert ("GET", "/api/events", "101", "display") in got
    assert any(m[2].startswith("/api/%0A") and m[3] == "404" for m in parsed)  # one line, still encoded
    log = caplog.text
    for secret in (hall.kiosk_token, hall.display_token, hall.clerk_tokens[1], "not-a-token", "hunter2"):
        assert secret not in log
    assert ticket["status_path"].rsplit("/", 1)[1] not in log
    assert "K7M2XQ9P" not in log


# ---------------------------------------------------------------- a real `hallqueue serve`


async def run_server(tmp_path, log_level: str) -> str:
    """Start a real server, make a few requests, stop it; its log."""
    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL, encoding="utf-8")
    proc = ServerProcess(tmp_path / f"{log_level}.db", config, tmp_path / f"{log_level}.log", log_level)
    await proc.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(proc.url + "/api/state") as resp:
                assert resp.status == 200
            async with session.get(proc.url + "/no-such-page") as resp:
                assert resp.status == 404
    finally:
        proc.stop()
    return proc.log.read_text(encoding="utf-8")


async def test_log_level_warning_is_honoured_by_a_real_server(tmp_path):
    quiet = await run_server(tmp_path, "warning")
    assert " INFO " not in quiet and "hallqueue.access" not in quiet, quiet
    chatty = await run_server(tmp_path, "info")
    assert "INFO hallqueue.access: GET /api/state 200 " in chatty
    assert "INFO hallqueue.access: GET /no-such-page 404 " in chatty
    assert "open files limit (RLIMIT_NOFILE)" in chatty


def secrets_in(value) -> list[str]:
    """Every password and token in the demo credentials file, however it is laid out."""
    if isinstance(value, dict):
        found = []
        for key, v in value.items():
            if isinstance(v, str) and ("password" in key or "token" in key):
                found.append(v)
            else:
                found += secrets_in(v)
        return found
    if isinstance(value, list):
        return [s for v in value for s in secrets_in(v)]
    return []


def test_the_sample_hall_prints_where_the_demo_credentials_are_not_what_they_are(tmp_path):
    port = free_port()
    db = tmp_path / "data" / "hall.db"
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "queue_server", "--db", str(db), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 30
        while "serving http://" not in log.read_text(encoding="utf-8"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    output = log.read_text(encoding="utf-8")
    creds_file = tmp_path / "data" / "demo-credentials.json"
    assert str(creds_file) in output
    secrets = secrets_in(json.loads(creds_file.read_text(encoding="utf-8")))
    assert secrets, "the demo credentials hold passwords and tokens"
    for secret in secrets:
        assert secret not in output


# ---------------------------------------------------------------- the pages under their policy in Chromium

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture
async def server(tmp_path):
    config = tmp_path / "hall.toml"
    config.write_text(ALL_DAY_HALL, encoding="utf-8")
    kiosk, display = provision(tmp_path / "hall.db", [1])
    proc = ServerProcess(tmp_path / "hall.db", config, tmp_path / "server.log")
    proc.kiosk = {"Authorization": f"Bearer {kiosk}"}
    proc.display = display
    await proc.start()
    yield proc
    proc.stop()


async def test_pages_work_under_their_policy_in_chromium(server):
    async with aiohttp.ClientSession() as session:
        async with session.post(server.url + "/api/tickets", json={"service": "hukou"}, headers=server.kiosk) as resp:
            ticket = await resp.json()
        async with chromium() as browser:
            page = await browser.new_page()
            await page.add_init_script(RECORD_VIOLATIONS)
            messages = []
            page.on("console", lambda m: messages.append(m.text))

            await page.goto(server.url + "/display")
            await page.wait_for_selector("#link.ok")  # the WebSocket is allowed: connect-src 'self'
            assert "1人" in await page.text_content("[data-service='hukou'] .count")
            assert await page.evaluate("window.__violations") == []

            await page.goto(server.url + ticket["status_path"])
            assert await page.text_content(".number") == ticket["number"]
            header = await page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor")
            assert header == "rgb(11, 79, 138)"  # status.css applied
            assert await page.evaluate("window.__violations") == []

            for path in ("/clerk", "/admin", "/rate/1"):
                await page.goto(server.url + path, wait_until="load")
                assert await page.evaluate("window.__violations") == [], path

            # Staff.follow with a token: the full stream, the token as a subprotocol.
            await page.goto(server.url + "/clerk", wait_until="load")
            await page.evaluate(
                "(token) => { window.__got = []; Staff.follow((m) => window.__got.push(m), () => {}, token); }",
                server.display,
            )
            await page.wait_for_function("() => window.__got.some((m) => m.type === 'snapshot')")
            async with session.post(
                server.url + "/api/devices/faults",
                json={"component": "printer", "state": "paper_out"},
                headers=server.kiosk,
            ) as resp:
                assert resp.status < 300
            await page.wait_for_function("() => window.__got.some((m) => m.kind === 'device_fault')")
            assert await page.evaluate("window.__violations") == []
    assert not [m for m in messages if "Content Security Policy" in m], messages
    assert server.display not in server.log.read_text(encoding="utf-8")
