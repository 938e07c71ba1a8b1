"""Typed keys for everything the aiohttp app holds."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from aiohttp import web

from queue_server.api.auth import Authenticator
from queue_server.api.limits import KioskLimit, SocketGate
from queue_server.core.model import HallConfig
from queue_server.runtime.engine import Engine
from queue_server.runtime.hub import Hub
from queue_server.store.database import Store

CONFIG = web.AppKey("config", HallConfig)
CLOCK = web.AppKey("clock", Callable[[], datetime])
STORE = web.AppKey("store", Store)
HUB = web.AppKey("hub", Hub)
ENGINE = web.AppKey("engine", Engine)
AUTH = web.AppKey("auth", Authenticator)
READERS = web.AppKey("readers", ThreadPoolExecutor)
SOCKETS = web.AppKey("sockets", set)
GUIDES = web.AppKey("guides", tuple)
OPENAPI = web.AppKey("openapi", dict)  # the document, written once from the route table
LIMITS = web.AppKey("limits", KioskLimit)
EVENT_SOCKETS = web.AppKey("event_sockets", SocketGate)  # open /api/events sockets, counted
