"""Staff accounts, device tokens and sign-in sessions.

Passwords are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``). Tokens are random
256-bit strings; the database keeps only their SHA-256, so a copy of the database does not
let anyone act as a kiosk or a clerk.

Revoking a device, disabling an account, changing a password and ending a session each bump
``auth_version`` through the schema's triggers (``schema._AUTH_CHANGES``), which is how a
running server learns of it on its next request.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlite_utils


class Role(enum.StrEnum):
    """Who may call an operation: every route in the route table names its roles."""

    ANONYMOUS = "anonymous"  # no token: a visitor's phone, the public lobby screen
    KIOSK = "kiosk"  # a ticket kiosk (取号机)
    DISPLAY = "display"  # a display PC: lobby screens, LED boards, voice
    EVALUATOR = "evaluator"  # a window's evaluator tablet (评价器), bound to that window
    CLERK = "clerk"  # window staff, signed in at one window
    RECEPTION = "reception"  # the reception desk (咨询台): issues tickets for visitors, 绿色通道
    MANAGER = "manager"  # the hall manager: overview, notices, follow-ups
    ADMIN = "admin"  # IT and the hall's administrators: everything


DEVICE_ROLES = (Role.KIOSK, Role.DISPLAY, Role.EVALUATOR)
STAFF_ROLES = (Role.CLERK, Role.RECEPTION, Role.MANAGER, Role.ADMIN)
# Roles bound to one window: a clerk to the window signed in to, an evaluator to its own.
WINDOW_BOUND_ROLES = (Role.CLERK, Role.EVALUATOR)
ROLES = tuple(r.value for r in STAFF_ROLES)
DEVICE_KINDS = tuple(r.value for r in DEVICE_ROLES)
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


class AccountError(Exception):
    """A provisioning request that cannot be done (duplicate login, bad role...)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a device or a signed-in member of staff."""

    role: Role
    name: str  # device name or login
    token_hash: str
    window: int | None = None  # the window a clerk signed in to, or an evaluator is bound to
    expires_at: datetime | None = None  # staff sessions only
    # When the database last saw the session, as read (``last_seen_at``, at most a minute late).
    # Only for idle expiry after a restart; the Authenticator keeps the live value.
    seen_at: datetime | None = field(default=None, compare=False, repr=False)

    @property
    def actor(self) -> str:
        """How the event log names this caller."""
        return f"{self.role.value}:{self.name}"


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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")


@dataclass(frozen=True)
class StaffIdentity:
    """What 亮牌 shows of a member of staff: name, staff number (工号), whether a photo exists."""

    login: str
    name: str | None
    staff_no: str | None
    has_photo: bool

    @property
    def shown_name(self) -> str:
        """The name screens show: the real name, else the login (an account set up without one)."""
        return self.name or self.login


def _check_identity(name: str | None, staff_no: str | None) -> None:
    if name is not None and not (1 <= len(name) <= 20 and name.isprintable() and name.strip() == name):
        raise AccountError("a name is 1 to 20 printable characters, without spaces around it")
    if staff_no is not None and not (1 <= len(staff_no) <= 20 and staff_no.isascii() and staff_no.isalnum()):
        raise AccountError("a staff number (工号) is 1 to 20 letters or digits")


def add_user(
    db: sqlite_utils.Database,
    login: str,
    role: str,
    password: str,
    now: datetime,
    *,
    name: str | None = None,
    staff_no: str | None = None,
    photo: bytes | None = None,
) -> None:
    """Create a staff account (clerk, reception, manager or admin); raises ``AccountError``.

    ``photo`` is stored as given: pass it through ``photos.prepare_photo`` first.
    """
    if role not in ROLES:
        raise AccountError(f'role must be one of {", ".join(ROLES)}, not "{role}"')
    if not login or len(login) > 64 or not login.isprintable() or " " in login:
        raise AccountError("a login is 1 to 64 printable characters without spaces")
    _check_password(password)
    _check_identity(name, staff_no)
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
                "name": name,
                "staff_no": staff_no,
                "photo": photo,
            }
        )


_KEEP = object()  # set_user: leave this field as it is


def set_user(
    db: sqlite_utils.Database,
    login: str,
    *,
    name: str | None | object = _KEEP,
    staff_no: str | None | object = _KEEP,
    photo: bytes | None | object = _KEEP,
) -> None:
    """Change what 亮牌 shows of an account; ``None`` clears a field, a field not given stays."""
    if db.execute("SELECT 1 FROM users WHERE login = ?", [login]).fetchone() is None:
        raise AccountError(f'no user "{login}"')
    changes = {k: v for k, v in {"name": name, "staff_no": staff_no, "photo": photo}.items() if v is not _KEEP}
    _check_identity(changes.get("name"), changes.get("staff_no"))
    if changes:
        with db.atomic():
            db["users"].update(login, changes)


def staff_identities(db: sqlite_utils.Database) -> dict[str, StaffIdentity]:
    """Every account's 亮牌 identity, by login."""
    rows = db.execute("SELECT login, name, staff_no, photo IS NOT NULL FROM users")
    return {r[0]: StaffIdentity(r[0], r[1], r[2], bool(r[3])) for r in rows}


def device_kinds(db: sqlite_utils.Database) -> dict[str, str]:
    """Every device's kind, by name (revoked ones too: their faults may still be open)."""
    return dict(db.execute("SELECT name, kind FROM devices").fetchall())


def staff_photo(db: sqlite_utils.Database, login: str) -> bytes | None:
    row = db.execute("SELECT photo FROM users WHERE login = ?", [login]).fetchone()
    return row[0] if row else None


def disable_user(db: sqlite_utils.Database, login: str, now: datetime) -> int:
    """Disable an account and end its sessions; returns how many sessions ended.

    A running server refuses the sessions on their next request: the schema's triggers bump
    ``auth_version`` in this transaction (see ``schema._AUTH_CHANGES``).
    """
    row = db.execute("SELECT disabled FROM users WHERE login = ?", [login]).fetchone()
    if row is None:
        raise AccountError(f'no user "{login}"')
    if row[0]:
        raise AccountError(f'the user "{login}" is disabled already')
    with db.atomic():
        db.execute("UPDATE users SET disabled = 1 WHERE login = ?", [login])
        return _end_user_sessions(db, login, now)


def set_password(db: sqlite_utils.Database, login: str, password: str, now: datetime) -> int:
    """Give an account a new password and end its sessions (who knew the old one is out);
    returns how many sessions ended."""
    _check_password(password)
    if db.execute("SELECT 1 FROM users WHERE login = ?", [login]).fetchone() is None:
        raise AccountError(f'no user "{login}"')
    with db.atomic():
        db.execute("UPDATE users SET password_hash = ? WHERE login = ?", [hash_password(password), login])
        return _end_user_sessions(db, login, now)


def _end_user_sessions(db: sqlite_utils.Database, login: str, now: datetime) -> int:
    cursor = db.execute(
        "UPDATE sessions SET ended_at = ? WHERE login = ? AND ended_at IS NULL", [now.isoformat(), login]
    )
    return cursor.rowcount


def add_device(db: sqlite_utils.Database, name: str, kind: str, now: datetime, window: int | None = None) -> str:
    """Register a device and return its token (shown once, stored hashed).

    An evaluator tablet (评价器) is bound to one window and may rate only there; other kinds
    serve the whole hall and take no window.
    """
    if kind not in DEVICE_KINDS:
        raise AccountError(f'kind must be one of {", ".join(DEVICE_KINDS)}, not "{kind}"')
    if not name or len(name) > 64 or not name.isprintable():
        raise AccountError("a device name is 1 to 64 printable characters")
    if kind == Role.EVALUATOR and (window is None or window < 1):
        raise AccountError("an evaluator device needs its window: --window N")
    if kind != Role.EVALUATOR and window is not None:
        raise AccountError(f"only an evaluator device is bound to a window, not a {kind}")
    if db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone():
        raise AccountError(f'a device "{name}" exists already')
    token = new_token()
    with db.atomic():
        db["devices"].insert(
            {
                "name": name,
                "kind": kind,
                "window": window,
                "token_hash": token_hash(token),
                "created_at": now.isoformat(),
            }
        )
    return token


def revoke_device(db: sqlite_utils.Database, name: str, now: datetime) -> None:
    """Revoke a device's token; a running server refuses it on its next request (the
    ``auth_version`` trigger)."""
    row = db.execute("SELECT revoked_at FROM devices WHERE name = ?", [name]).fetchone()
    if row is None:
        raise AccountError(f'no device "{name}"')
    if row[0] is not None:
        raise AccountError(f'the device "{name}" was revoked already, at {row[0]}')
    with db.atomic():
        db.execute("UPDATE devices SET revoked_at = ? WHERE name = ?", [now.isoformat(), name])


def find_device(db: sqlite_utils.Database, hashed: str) -> Principal | None:
    row = db.execute(
        "SELECT name, kind, window FROM devices WHERE token_hash = ? AND revoked_at IS NULL", [hashed]
    ).fetchone()
    return Principal(role=Role(row[1]), name=row[0], token_hash=hashed, window=row[2]) if row else None


def find_user(db: sqlite_utils.Database, login: str) -> tuple[str, str] | None:
    """(role, password hash) of an enabled account."""
    row = db.execute("SELECT role, password_hash FROM users WHERE login = ? AND disabled = 0", [login]).fetchone()
    return (row[0], row[1]) if row else None


# ------------------------------------------------------------ sign-in sessions

# A session is over once ended (signed out, replaced, idle, revoked) or its account is disabled
# or gone: a disabled account's session ends even when someone set ``disabled`` by hand.
_SESSION = (
    "SELECT s.token_hash, s.login, s.role, s.window, s.expires_at, coalesce(s.last_seen_at, s.created_at), "
    "s.ended_at IS NOT NULL OR u.disabled IS NOT 0 FROM sessions s LEFT JOIN users u ON u.login = s.login"
)


def _session(row: tuple) -> Principal:
    return Principal(
        role=Role(row[2]),
        name=row[1],
        token_hash=row[0],
        window=row[3],
        expires_at=datetime.fromisoformat(row[4]),
        seen_at=datetime.fromisoformat(row[5]) if row[5] else None,
    )


def live_sessions(db: sqlite_utils.Database, now: datetime) -> list[Principal]:
    """Sessions neither ended nor past their hours (idle expiry is the Authenticator's)."""
    rows = db.execute(f"{_SESSION} WHERE s.ended_at IS NULL AND s.expires_at > ?", [now.isoformat()])
    return [_session(r) for r in rows if not r[6]]


def find_session(db: sqlite_utils.Database, hashed: str) -> tuple[Principal, bool] | None:
    """The session of a token hash, and whether it is over (see ``_SESSION``)."""
    row = db.execute(f"{_SESSION} WHERE s.token_hash = ?", [hashed]).fetchone()
    return (_session(row), bool(row[6])) if row else None


def ended_among(db: sqlite_utils.Database, hashes: list[str]) -> set[str]:
    """Which of these sessions are over, or unknown to the database."""
    known = {
        r[0]: bool(r[6])
        for r in db.execute(f"{_SESSION} WHERE s.token_hash IN (SELECT value FROM json_each(?))", [json.dumps(hashes)])
    }
    return {h for h in hashes if known.get(h, True)}


def auth_version(db: sqlite_utils.Database) -> int:
    """The counter every revocation, disabling, password change and sign-out bumps."""
    return db.conn.execute("SELECT version FROM auth_version WHERE id = 1").fetchone()[0]


def session_expiry(now: datetime, hours: float) -> datetime:
    return now + timedelta(hours=hours)


def insert_session(db: sqlite_utils.Database, p: Principal, now: datetime) -> None:
    db.execute(
        "INSERT INTO sessions (token_hash, login, role, window, created_at, expires_at, last_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [p.token_hash, p.name, p.role.value, p.window, now.isoformat(), p.expires_at.isoformat(), now.isoformat()],
    )


def end_sessions(db: sqlite_utils.Database, hashes: list[str], now: datetime) -> None:
    db.conn.executemany(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        [(now.isoformat(), h) for h in hashes],
    )


def record_seen(db: sqlite_utils.Database, seen: dict[str, datetime]) -> None:
    """Persist when live sessions were last used (idle expiry survives a restart)."""
    db.conn.executemany(
        "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        [(at.isoformat(), h) for h, at in seen.items()],
    )
