"""``hallqueue user …`` and ``hallqueue device …``: staff accounts and device tokens."""

from __future__ import annotations

import sys

import click

from queue_server.store import accounts

from .base import main, now, open_db


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.pass_context
def user_add(ctx: click.Context, login: str, role: str) -> None:
    """Add a clerk or admin; the password is read from standard input.

    Example: echo 'a long secret' | hallqueue --db hall.db user add wang --role clerk
    """
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    db = open_db(ctx)
    try:
        accounts.add_user(db, login, role, password, now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {role} {login}")


@main.group()
def device() -> None:
    """Kiosk and display devices."""


@device.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice(accounts.DEVICE_KINDS), required=True)
@click.pass_context
def device_add(ctx: click.Context, name: str, kind: str) -> None:
    """Register a device and print its token (shown once; only its hash is stored).

    Example: hallqueue --db hall.db device add kiosk-lobby-1 --kind kiosk
    """
    db = open_db(ctx)
    try:
        token = accounts.add_device(db, name, kind, now())
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)
