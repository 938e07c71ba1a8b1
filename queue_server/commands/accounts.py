"""``hallqueue user …`` and ``hallqueue device …``: staff accounts and device tokens.

Revoking a device, disabling an account or changing a password ends its sessions in the
database; a running server refuses them on their next request, no restart needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from queue_server.store import accounts
from queue_server.store.photos import PhotoError, prepare_photo

from .base import main, now, open_db


def _read_password() -> str:
    """A new password: prompted twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@main.group()
def user() -> None:
    """Staff accounts."""


def _photo(path: Path | None) -> bytes | None:
    """A photo file made ready to store, or a clear error."""
    if path is None:
        return None
    try:
        return prepare_photo(path.read_bytes())
    except OSError as exc:
        raise click.ClickException(f"cannot read the photo {path}: {exc.strerror}") from None
    except PhotoError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


_PHOTO = click.Path(exists=True, dir_okay=False, path_type=Path)


@user.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option("--name", help="The real name 亮牌 shows (evaluator tablet, /admin, window board).")
@click.option("--staff-no", help="The staff number (工号).")
@click.option("--photo", type=_PHOTO, help="A photo (JPEG, PNG...): stored re-encoded as a 240x320 JPEG.")
@click.pass_context
def user_add(
    ctx: click.Context, login: str, role: str, name: str | None, staff_no: str | None, photo: Path | None
) -> None:
    """Add a clerk, reception, manager or admin; the password is read from standard input.

    Only clerks name a window when they sign in.

    Example: echo 'a long secret' | hallqueue --db hall.db user add wang --role clerk --name 王芳 --staff-no 0231
    """
    picture = _photo(photo)  # a bad photo fails before anything is asked or written
    password = _read_password()
    db = open_db(ctx)
    try:
        accounts.add_user(db, login, role, password, now(), name=name, staff_no=staff_no, photo=picture)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {role} {login}")


@user.command("set")
@click.argument("login")
@click.option("--name", help="The real name 亮牌 shows; an empty string clears it.")
@click.option("--staff-no", help="The staff number (工号); an empty string clears it.")
@click.option("--photo", type=_PHOTO, help="A new photo (JPEG, PNG...).")
@click.option("--no-photo", is_flag=True, help="Remove the photo.")
@click.pass_context
def user_set(
    ctx: click.Context, login: str, name: str | None, staff_no: str | None, photo: Path | None, no_photo: bool
) -> None:
    """Change what 亮牌 shows of an account: name, staff number, photo.

    Example: hallqueue --db hall.db user set wang --name 王芳 --photo wang.jpg
    """
    if photo is not None and no_photo:
        raise click.UsageError("--photo and --no-photo exclude each other")
    changes: dict = {}
    if name is not None:
        changes["name"] = name or None
    if staff_no is not None:
        changes["staff_no"] = staff_no or None
    if photo is not None:
        changes["photo"] = _photo(photo)
    if no_photo:
        changes["photo"] = None
    if not changes:
        raise click.UsageError("nothing to change: give --name, --staff-no, --photo or --no-photo")
    db = open_db(ctx)
    try:
        accounts.set_user(db, login, **changes)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"updated {login}: {', '.join(sorted(changes))}")


@user.command("disable")
@click.argument("login")
@click.pass_context
def user_disable(ctx: click.Context, login: str) -> None:
    """Disable an account and sign it out everywhere, at once (also on a running server).

    Example: hallqueue --db hall.db user disable wang
    """
    db = open_db(ctx)
    try:
        ended = accounts.disable_user(db, login, now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"disabled {login}; ended {ended} session(s)")


@user.command("password")
@click.argument("login")
@click.pass_context
def user_password(ctx: click.Context, login: str) -> None:
    """Set a new password (read from standard input) and sign the account out everywhere.

    Example: echo 'a new long secret' | hallqueue --db hall.db user password wang
    """
    password = _read_password()
    db = open_db(ctx)
    try:
        ended = accounts.set_password(db, login, password, now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"changed the password of {login}; ended {ended} session(s)")


@main.group()
def device() -> None:
    """Kiosks, displays and evaluator tablets."""


@device.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(accounts.DEVICE_KINDS), required=True)
@click.option("--window", type=click.IntRange(min=1), help="The window an evaluator tablet rates (evaluators only).")
@click.pass_context
def device_add(ctx: click.Context, name: str, kind: str, window: int | None) -> None:
    """Register a device and print its token (shown once; only its hash is stored).

    An evaluator tablet (评价器) belongs to one window and rates only there.

    Example: hallqueue --db hall.db device add tablet-3 --kind evaluator --window 3
    """
    db = open_db(ctx)
    try:
        token = accounts.add_device(db, name, kind, now(), window=window)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)


@device.command("revoke")
@click.argument("name")
@click.pass_context
def device_revoke(ctx: click.Context, name: str) -> None:
    """Revoke a device's token, at once (also on a running server).

    Example: hallqueue --db hall.db device revoke kiosk-lobby-1
    """
    db = open_db(ctx)
    try:
        accounts.revoke_device(db, name, now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked {name}")
