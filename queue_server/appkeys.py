"""Typed keys for everything the aiohttp app holds."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from aiohttp import web

from .auth import Authenticator
from .core.model import HallConfig
from .engine import Engine
from .hub import Hub
from .store import Store

CONFIG = web.AppKey("config", HallConfig)
CLOCK = web.AppKey("clock", Callable[[], datetime])
STORE = web.AppKey("store", Store)
HUB = web.AppKey("hub", Hub)
ENGINE = web.AppKey("engine", Engine)
AUTH = web.AppKey("auth", Authenticator)
READERS = web.AppKey("readers", ThreadPoolExecutor)
SOCKETS = web.AppKey("sockets", set)
GUIDES = web.AppKey("guides", tuple)
