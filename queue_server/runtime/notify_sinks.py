"""Where SMS reminders go: an append-only log file, or the hall's SMS gateway over HTTP (webhook).

A sink knows one verb, ``deliver``: it returns once the message is delivered and raises
``DeliveryFailed`` otherwise, saying whether another attempt can help. Queueing, retries and
backoff are the notifier's (``runtime/notifier.py``). The webhook's wire format is in
``docs/notify.md``.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from queue_server.core.feedback import mask_phone
from queue_server.core.model import WebhookConfig
from queue_server.store.outbox import Outgoing

_LOGGER = logging.getLogger(__name__)
LOG, WEBHOOK = "log", "webhook"
SIGNATURE_HEADER = "X-Hallqueue-Signature"
TIMESTAMP_HEADER = "X-Hallqueue-Timestamp"
MESSAGE_ID_HEADER = "X-Hallqueue-Message-Id"
# A gateway refusing *this message* (a number it cannot serve, a body it cannot read): another
# attempt would be refused too. Every other failure (401 with a wrong key, 404 with a wrong URL,
# 5xx, no answer) is the link's, not the message's: the message waits until it is fixed.
REFUSED_FOR_GOOD = frozenset({400, 413, 422})
MAX_REPLY_BYTES = 4096  # what is read of a gateway's answer (it is only drained, never used)


class DeliveryFailed(Exception):
    """One attempt failed; ``message`` says why in Chinese, for /admin (never a secret or a number)."""

    def __init__(self, message: str, retry: bool = True, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.message, self.retry, self.retry_after_s = message, retry, retry_after_s


class Sink(Protocol):
    """What the notifier delivers to."""

    name: str  # "log" or "webhook": kept with each delivery in the outbox
    label: str  # what /admin calls it
    target: str  # where it delivers, as /admin shows it (no secret)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, message: Outgoing) -> None: ...


def _payload(message: Outgoing, phone: str, hall: str) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "kind": message.kind,
        "phone": phone,
        "text": message.text,
        "hall": hall,
        # A ticket's number, or for a 预约 message (booking_* kinds) the booking code.
        "ticket": message.number if message.booking_id is None else None,
        "booking": message.number if message.booking_id is not None else None,
        "window": message.window,
        "ahead": message.ahead,
        "business_day": message.business_day,
        "created_at": message.created_at,
    }


class LogSink:
    """One JSON line per message, appended to a file and fsynced before it counts as delivered.

    For a hall without an SMS gateway the file is the record of what would have been sent (and
    something else may read it and send). It names the number masked (138****5678) unless
    ``[notify] log_full_phone``: a log file lives outside the database, where our erasure after
    ``keep_phone_days`` cannot reach. It is copied into backups and support tickets, read with
    ``tail`` and kept by logrotate for months. A hall that lets another program send from it turns
    the full number on and owns the file's retention.
    """

    name, label = LOG, "日志文件"

    def __init__(self, path: Path, hall: str, full_phone: bool, clock: Callable[[], datetime]) -> None:
        self.path, self.hall, self.full_phone, self.clock = path, hall, full_phone, clock
        self.target = str(path)

    async def start(self) -> None:
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)

    async def stop(self) -> None:
        pass

    def line(self, message: Outgoing) -> str:
        phone = message.phone if self.full_phone else message.phone_masked or mask_phone(message.phone)
        record = {"at": self.clock().isoformat(), **_payload(message, phone, self.hall)}
        return json.dumps(record, ensure_ascii=False)

    async def deliver(self, message: Outgoing) -> None:
        line = self.line(message) + "\n"
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            _LOGGER.warning("cannot append to %s: %s", self.path, exc)
            raise DeliveryFailed(f"无法写入日志文件：{_os_error(exc)}") from None

    def _append(self, line: str) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())


_OS_ERRORS = {
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "磁盘配额已满",
    errno.ENOENT: "目录不存在",
    errno.EROFS: "文件系统只读",
    errno.EISDIR: "这是一个目录",
    errno.EIO: "磁盘读写错误",
}


def _os_error(exc: OSError) -> str:
    """An OS error in Chinese, for /admin (the server log has the English and the path)."""
    return _OS_ERRORS.get(exc.errno or 0, f"系统错误（错误码 {exc.errno}）")


def shown_url(url: str) -> str:
    """A URL as /admin may show it: no user, password, query or fragment (they may carry keys)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def signature(key: bytes, body: bytes) -> str:
    """The ``X-Hallqueue-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


class WebhookSink:
    """A JSON POST per message to the hall's SMS gateway, signed with HMAC-SHA256.

    The key is read from ``secret_file`` (relative to the data folder) or the ``secret_env``
    variable when first needed, and again after it could not be read: fixing the file heals a
    running server. It is never logged, stored or shown.
    """

    name, label = WEBHOOK, "短信网关"

    def __init__(self, config: WebhookConfig, data_dir: Path, hall: str) -> None:
        self.config, self.data_dir, self.hall = config, data_dir, hall
        self.target = shown_url(config.url)
        self._key: bytes | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.timeout_s),
            headers={"User-Agent": "hallqueue-notifier"},
        )

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = await asyncio.to_thread(self._read_key)
        return self._key

    def _read_key(self) -> bytes:
        c = self.config
        if c.secret_env is not None:
            value = os.environ.get(c.secret_env, "").strip()
            if not value:
                _LOGGER.error("webhook: the HMAC key's environment variable %s is not set or empty", c.secret_env)
                raise DeliveryFailed("签名密钥不可用：配置的环境变量未设置")
            return value.encode()
        path = self.data_dir / (c.secret_file or "")  # an absolute secret_file stays as it is
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            _LOGGER.error("webhook: cannot read the HMAC key file %s: %s", path, exc.strerror or exc)
            raise DeliveryFailed(f"签名密钥不可用：密钥文件无法读取（{_os_error(exc)}）") from None
        except UnicodeDecodeError:
            _LOGGER.error("webhook: the HMAC key file %s is not UTF-8 text", path)
            raise DeliveryFailed("签名密钥不可用：密钥文件不是 UTF-8 文本") from None
        if not value:
            _LOGGER.error("webhook: the HMAC key file %s is empty", path)
            raise DeliveryFailed("签名密钥不可用：密钥文件是空的")
        return value.encode()

    def body(self, message: Outgoing) -> bytes:
        """The request body: the same bytes on every attempt of the message."""
        return json.dumps(_payload(message, message.phone, self.hall), ensure_ascii=False).encode()

    async def deliver(self, message: Outgoing) -> None:
        assert self._session is not None, "the sink is not started"
        key = await self._signing_key()
        body = self.body(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            MESSAGE_ID_HEADER: message.message_id,
            TIMESTAMP_HEADER: str(int(time.time())),
            SIGNATURE_HEADER: signature(key, body),
        }
        try:
            async with self._session.post(self.config.url, data=body, headers=headers, allow_redirects=False) as resp:
                await resp.content.read(MAX_REPLY_BYTES)
                status, retry_after = resp.status, resp.headers.get("Retry-After")
        except TimeoutError:
            raise DeliveryFailed(f"短信网关 {self.config.timeout_s:g} 秒内没有应答") from None
        except aiohttp.ClientConnectorError:
            raise DeliveryFailed("无法连接短信网关（网关未运行，或地址、端口有误）") from None
        except aiohttp.ClientError as exc:
            # The type only: an exception's text may carry the URL, and a URL may carry a key.
            _LOGGER.warning("webhook %s: %s", self.target, type(exc).__name__)
            raise DeliveryFailed("与短信网关通信出错") from None
        if 200 <= status < 300:
            return
        if status in REFUSED_FOR_GOOD:
            raise DeliveryFailed(f"短信网关拒收这条消息（状态码 {status}）", retry=False)
        if status in (401, 403):
            self._key = None  # read again next time: the hall may be fixing it
            raise DeliveryFailed(f"短信网关不认可签名（状态码 {status}），请核对签名密钥")
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise DeliveryFailed(f"短信网关暂时无法处理（状态码 {status}）", retry_after_s=wait)
