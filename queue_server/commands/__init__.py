"""The queue server's commands: serve the hall, provision staff and devices, read the audit log.

Each command opens the library, calls one function and turns its errors into a sentence;
nobody sees a traceback for a mistake in a config file or a duplicate login. ``hallqueue_cli``
adds the device drivers' and the clients' commands to the same group.
"""

from . import accounts, records, reload, reports, serve, simulate  # noqa: F401  (each module registers its commands)
from .base import main

__all__ = ["main"]
