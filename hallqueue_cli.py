"""The ``hallqueue`` command: the server's commands, the device drivers' and the clients'.

Each package keeps its own commands; this module only assembles them, so no package imports
another's command line (and the server installs without Kivy: ``hallqueue kiosk`` then says
which extra to install).
"""

from __future__ import annotations

import importlib.util

import click

from displays.cli import display
from hardware.cli import COMMANDS as DEVICE_COMMANDS
from queue_server.commands import main

__all__ = ["main"]


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def _kiosk_missing() -> None:
    """Run the kiosk (取号机): needs the kiosk extra, pip install 'hallqueue[kiosk]'."""
    raise click.ClickException("the kiosk needs Kivy: pip install 'hallqueue[kiosk]'")


def _kiosk_command() -> click.Command:
    # find_spec, not import: importing Kivy sets up its window and logging at once.
    if importlib.util.find_spec("kivy") is None:
        return _kiosk_missing
    from kiosk.cli import kiosk

    return kiosk


for _command in (*DEVICE_COMMANDS, display):
    main.add_command(_command)
main.add_command(_kiosk_command(), "kiosk")

if __name__ == "__main__":
    main()
