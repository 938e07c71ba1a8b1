"""Staff accounts, device tokens and sign-in sessions.

Passwords are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``). Tokens are random
256-bit strings; the database keeps only their SHA-256, so a copy of the database does not
let anyone act as a kiosk or a clerk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

ROLES = ("clerk", "admin")
DEVICE_KINDS = ("kiosk", "display")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


class AccountError(Exception):
    """A provisioning request that cannot be done (duplicate login, bad role...)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a device (kiosk, display) or a signed-in clerk or admin."""

    kind: str  # "kiosk" | "display" | "clerk" | "admin"
    name: str  # device name or login
    token_hash: str
    window: int | None = None
    expires_at: datetime | None = None

    @property
    def actor(self) -> str:
        """How the event log names this caller."""
        return f"{self.kind}:{self.name}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(db: sqlite_utils.Database, login: str, role: str, password: str, now: datetime) -> None:
    """Create a clerk or admin account; raises ``AccountError``."""
    if role not in ROLES:
        raise AccountError(f'role must be one of {", ".join(ROLES)}, not "{role}"')
    if not login or len(login) > 64 or not login.isprintable() or " " in login:
        raise AccountError("a login is 1 to 64 printable characters without spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if db.execute("SELECT 1 FROM users WHERE login = ?", [login]).fetchone():
        raise AccountError(f'a user "{login}" exists already')
    with db.atomic():
        db["users"].insert(
            {
                "login": login,
                "role": role,
                "password_hash": hash_password(password),
                "created_at": now.isoformat(),
                "disabled": 0,
            }
        )


def add_device(db: sqlite_utils.Database, name: str, kind: str, now: datetime) -> str:
    """Register a kiosk or display device and return its token (shown once, stored hashed)."""
    if kind not in DEVICE_KINDS:
        raise AccountError(f'kind must be one of {", ".join(DEVICE_KINDS)}, not "{kind}"')
    if not name or len(name) > 64 or not name.isprintable():
        raise AccountError("a device name is 1 to 64 printable characters")
    if db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone():
        raise AccountError(f'a device "{name}" exists already')
    token = new_token()
    with db.atomic():
        db["devices"].insert(
            {"name": name, "kind": kind, "token_hash": token_hash(token), "created_at": now.isoformat()}
        )
    return token


def find_device(db: sqlite_utils.Database, hashed: str) -> Principal | None:
    row = db.execute("SELECT name, kind FROM devices WHERE token_hash = ? AND revoked_at IS NULL", [hashed]).fetchone()
    return Principal(kind=row[1], name=row[0], token_hash=hashed) if row else None


def find_user(db: sqlite_utils.Database, login: str) -> tuple[str, str] | None:
    """(role, password hash) of an enabled account."""
    row = db.execute("SELECT role, password_hash FROM users WHERE login = ? AND disabled = 0", [login]).fetchone()
    return (row[0], row[1]) if row else None


def live_sessions(db: sqlite_utils.Database, now: datetime) -> list[Principal]:
    return [
        Principal(
            kind=r["role"],
            name=r["login"],
            token_hash=r["token_hash"],
            window=r["window"],
            expires_at=datetime.fromisoformat(r["expires_at"]),
        )
        for r in db.query("SELECT * FROM sessions WHERE ended_at IS NULL AND expires_at > ?", [now.isoformat()])
    ]


def session_expiry(now: datetime, hours: float) -> datetime:
    return now + timedelta(hours=hours)


def insert_session(db: sqlite_utils.Database, p: Principal, now: datetime) -> None:
    db.execute(
        "INSERT INTO sessions (token_hash, login, role, window, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        [p.token_hash, p.name, p.kind, p.window, now.isoformat(), p.expires_at.isoformat()],
    )


def end_sessions(db: sqlite_utils.Database, hashes: list[str], now: datetime) -> None:
    db.conn.executemany(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        [(now.isoformat(), h) for h in hashes],
    )
