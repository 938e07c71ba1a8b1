"""Refusals of the hall core. Each has a stable ``code`` the API returns as is."""

from __future__ import annotations


class QueueError(Exception):
    """A command the hall refuses; the state is unchanged."""

    code = "queue_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class UnknownService(QueueError):
    code = "unknown_service"


class UnknownWindow(QueueError):
    code = "unknown_window"


class UnknownTicket(QueueError):
    code = "unknown_ticket"


class IllegalTransition(QueueError):
    """The action does not apply to the ticket in its present status."""

    code = "illegal_transition"


class ServiceClosed(QueueError):
    code = "service_closed"


class DailyCapReached(QueueError):
    code = "daily_cap_reached"


class RecallLimit(QueueError):
    """重呼 more often than the hall's rule allows."""

    code = "recall_limit"


class WindowClosed(QueueError):
    code = "window_closed"


class WindowPaused(QueueError):
    code = "window_paused"


class WindowBusy(QueueError):
    """The window still has a called or served ticket in hand."""

    code = "window_busy"


class WrongWindow(QueueError):
    """The ticket is at another window than the one acting on it."""

    code = "wrong_window"


class DuplicateNumber(QueueError):
    code = "duplicate_number"


class WindowOccupied(QueueError):
    """Another clerk is signed in at the window."""

    code = "window_occupied"


class NothingToRate(QueueError):
    """The window has no finished ticket waiting for its visitor's rating."""

    code = "nothing_to_rate"


class AlreadyRated(QueueError):
    """The ticket has had its one 好差评 (from the window's tablet or from the visitor's phone)."""

    code = "already_rated"


class UnknownFollowUp(QueueError):
    code = "unknown_followup"
