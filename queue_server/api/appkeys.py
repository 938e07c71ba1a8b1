"""Typed keys for everything the aiohttp app holds."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from aiohttp import web

from queue_server.api.auth import Authenticator
from queue_server.api.limits import BookingLimit, KioskLimit, SlidingWindow, SocketGate
from queue_server.config.hall_files import HallFiles
from queue_server.core.model import HallConfig
from queue_server.core.real_name import IdTickets
from queue_server.runtime.bookings import BookingDesk
from queue_server.runtime.engine import Engine
from queue_server.runtime.hub import Hub
from queue_server.runtime.notifier import Notifier
from queue_server.runtime.phone_watch import PhoneWatch
from queue_server.runtime.privacy import PersonalHasher, PrivacyKeeper
from queue_server.runtime.rollups import RollupKeeper
from queue_server.store.database import Store

# The config the app was built with (socket caps, kiosk limits). Handlers read the running one,
# which ``hallqueue reload`` replaces, from FILES (``Call.files``).
CONFIG = web.AppKey("config", HallConfig)
FILES = web.AppKey("files", HallFiles)  # the hall config and guides as the server runs them now
CLOCK = web.AppKey("clock", Callable[[], datetime])
STORE = web.AppKey("store", Store)
HUB = web.AppKey("hub", Hub)
ENGINE = web.AppKey("engine", Engine)
AUTH = web.AppKey("auth", Authenticator)
READERS = web.AppKey("readers", ThreadPoolExecutor)
SOCKETS = web.AppKey("sockets", set)
OPENAPI = web.AppKey("openapi", dict)  # the document, written once from the route table
LIMITS = web.AppKey("limits", KioskLimit)
EVENT_SOCKETS = web.AppKey("event_sockets", SocketGate)  # open /api/events sockets, counted
PHONE_WATCH = web.AppKey("phone_watch", PhoneWatch)  # which tickets visitors follow on their phones
NOTIFIER = web.AppKey("notifier", Notifier)  # 短信提醒 (runtime/notifier.py)
SMS_LIMIT = web.AppKey("sms_limit", SlidingWindow)  # numbers left or withdrawn per client address
ROLLUPS = web.AppKey("rollups", RollupKeeper)  # closed days folded for 统计分析 (runtime/rollups.py)
BOOKINGS = web.AppKey("bookings", BookingDesk)  # 预约: the ID key, the keeper (runtime/bookings.py)
BOOKING_LIMIT = web.AppKey("booking_limit", BookingLimit)  # public booking requests per client address
HASHER = web.AppKey("hasher", PersonalHasher)  # keyed hashes of ID and phone numbers (runtime/privacy.py)
PRIVACY = web.AppKey("privacy", PrivacyKeeper)  # erases personal data past keep_days (runtime/privacy.py)
ID_TICKETS = web.AppKey("id_tickets", IdTickets)  # 身份证取号: today's tickets per ID hash (core/real_name.py)
