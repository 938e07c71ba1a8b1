"""``hallqueue user …`` and ``hallqueue device …``: staff accounts and device tokens.

Revoking a device, disabling an account or changing a password ends its sessions in the
database; a running server refuses them on their next request, no restart needed.
"""

from __future__ import annotations

import sys

import click

from queue_server.store import accounts

from .base import main, now, open_db


def _read_password() -> str:
    """A new password: prompted twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.pass_context
def user_add(ctx: click.Context, login: str, role: str) -> None:
    """Add a clerk, reception, manager or admin; the password is read from standard input.

    Only clerks name a window when they sign in.

    Example: echo 'a long secret' | hallqueue --db hall.db user add wang --role clerk
    """
    password = _read_password()
    db = open_db(ctx)
    try:
        accounts.add_user(db, login, role, password, now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {role} {login}")


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
