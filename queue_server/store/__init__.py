"""The SQLite store: tickets, the append-only event log, accounts, and the figures read from them."""

from .database import Store, StoreError, StoreLocked, connect, event_from_row, open_database
from .schema import SchemaTooNew

__all__ = ["SchemaTooNew", "Store", "StoreError", "StoreLocked", "connect", "event_from_row", "open_database"]
