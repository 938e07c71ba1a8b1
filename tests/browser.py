"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright for the web pages.

`playwright install` downloads browsers, which cannot happen here: the system Chromium is used.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from playwright.async_api import async_playwright

CHROMIUM = os.environ.get("HALLQUEUE_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying to reach Google's hosts.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@asynccontextmanager
async def chromium():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()
