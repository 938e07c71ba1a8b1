"""What every part of the hall state shares: the windows, the unfinished tickets, the waiting
lines, the journal, and the one way to record a change (``_emit``).

``HallState`` (in :mod:`.hall`) is built from this base and the parts in ``hall_*.py``; each
part keeps its own state but writes into the same journal through the same ``_emit``, so one
command's events keep one sequence whatever part they come from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .errors import UnknownService, UnknownTicket, UnknownWindow
from .journal import Journal, Restored
from .model import (
    WINDOW_CHANGES,
    Event,
    EventKind,
    HallConfig,
    Priority,
    Service,
    Status,
    Ticket,
    WindowState,
    WindowStatus,
)
from .queues import ServiceQueue


class HallBase:
    """The shared state and its lookups. Parts extend ``__init__`` cooperatively."""

    def __init__(self, config: HallConfig, restored: Restored) -> None:
        self.config = config
        self.day = restored.business_day
        self.last_event_seq = restored.last_event_seq
        self.journal = Journal()
        # Events of the journal still to be given the lobby's figures: (event data, services).
        self._estimates_due: list[tuple[dict[str, Any], tuple[str, ...]]] = []
        self.queues: dict[str, ServiceQueue] = {code: ServiceQueue() for code in config.services}
        self.active: dict[int, Ticket] = {}
        self.windows: dict[int, WindowState] = {n: WindowState(n) for n in config.windows}
        for w in restored.windows:
            if w.number in self.windows:
                self.windows[w.number] = w
        self.avg_service_s = {code: s.avg_service_s for code, s in config.services.items()}
        self.now: datetime | None = None  # the latest time the hall was advanced to (closed hours)
        self.window_epoch = 0  # counts the changes of windows (not of the tickets at them)

    # ------------------------------------------------------------ bookkeeping

    def take_journal(self, estimates: bool = True) -> Journal:
        """Hand over what the commands since the last call changed, and start a new journal.

        Each event about a ticket, and each that changes a window (``WINDOW_CHANGES``: opened,
        closed, paused, resumed, re-assigned), gets ``estimates`` here: what a new ticket of each
        of its services would wait now, for the lobby screen. They are worked out once per
        service for the whole journal (a batch of fifty tickets, one estimate) from the state the
        batch left. Without ``estimates`` (a dropped batch, a simulation nobody watches) they
        are left out.
        """
        journal, self.journal = self.journal, Journal()
        journal.day = self.day
        due, self._estimates_due = self._estimates_due, []
        if estimates and due:
            figures: dict[str, int] = {}
            for data, services in due:
                for code in services:
                    if code not in figures and code in self.queues:
                        figures[code] = self.estimate_s(code, len(self.queues[code]))
                data["estimates"] = {code: figures[code] for code in services if code in figures}
        return journal

    def _emit(
        self,
        kind: EventKind,
        actor: str,
        now: datetime,
        ticket: Ticket | None = None,
        from_status: Status | None = None,
        window: int | None = None,
        **data: Any,
    ) -> None:
        """Record one change: the ticket and window it touched go to the journal with its event.

        An event about a window says how the window stands after it (``window_status``, and
        ``window_ticket``, the number called to or served there, or None) so that screens
        copy it instead of working it out from the kind.
        """
        self.last_event_seq += 1
        changes_window = kind in WINDOW_CHANGES  # never about a ticket
        if changes_window:
            self.window_epoch += 1  # a window opened, closed, paused or changed: estimates see it
        if ticket is not None:
            self.journal.tickets[ticket.id] = ticket
            services = {ticket.service, *data.pop("also_services", ())}
            data["waiting"] = {s: len(self.queues[s]) for s in services if s in self.queues}
            self._estimates_due.append((data, tuple(data["waiting"])))  # see take_journal
        if window is not None:
            w = self.windows[window]
            self.journal.windows[window] = w
            data["window_status"] = w.status.value
            data["window_ticket"] = self._ticket_at(w)
            if changes_window:  # its services' estimates moved
                self._estimates_due.append((data, tuple(self.config.windows[window].services)))
        self.journal.events.append(
            Event(
                seq=self.last_event_seq,
                at=now,
                kind=kind,
                actor=actor,
                ticket=ticket.as_dict() if ticket else None,
                from_status=from_status.value if from_status else None,
                to_status=ticket.status.value if ticket else None,
                window=window,
                data=data,
            )
        )

    def _ticket_at(self, w: WindowState) -> str | None:
        """The number of the ticket standing at window ``w``, if any."""
        held = self.active.get(w.ticket_id) if w.ticket_id is not None else None
        # At the day's end a ticket expires while its window still points at it (the window
        # is closed afterwards): an ended ticket stands nowhere.
        return held.number if held is not None and not held.status.is_terminal else None

    # ------------------------------------------------------------ reading

    def service(self, code: str) -> Service:
        """The configured service ``code``; raises ``UnknownService``."""
        try:
            return self.config.services[code]
        except KeyError:
            raise UnknownService(f"没有这项业务：{code}", service=code) from None

    def window(self, number: int) -> WindowState:
        """Window ``number`` as it stands; raises ``UnknownWindow``."""
        try:
            return self.windows[number]
        except KeyError:
            raise UnknownWindow(f"没有 {number} 号窗口", window=number) from None

    def ticket(self, ticket_id: int) -> Ticket:
        """An unfinished ticket of today; finished ones live only in the store."""
        try:
            return self.active[ticket_id]
        except KeyError:
            raise UnknownTicket(f"没有进行中的号票 {ticket_id}", ticket=ticket_id) from None

    def is_open(self, service_code: str, now: datetime) -> bool:
        """Whether the service takes tickets at ``now``: within its opening hours (in the hall's
        zone) and not past its ticketing cut-off (``rules.last_ticket_s`` before closing)."""
        hours = self.service(service_code).hours
        local = now.astimezone(self.config.timezone)
        return hours.issues_at(local, self.config.rules.last_ticket_s, self.config.calendar)

    def serving_windows(self, service_code: str) -> tuple[int, int]:
        """(open windows serving the service, windows configured for it)."""
        configured = [w for w in self.config.windows.values() if service_code in w.services]
        open_ = [w for w in configured if self.windows[w.number].status is WindowStatus.OPEN]
        return len(open_), len(configured)

    def ahead_of(self, ticket: Ticket) -> int:
        """Tickets to be called before ``ticket`` (0 once it is no longer waiting)."""
        if ticket.status is not Status.WAITING:
            return 0
        return self.queues[ticket.service].ahead_of(ticket)

    def estimate_s(self, service_code: str, ahead: int, priority: Priority = Priority.NORMAL) -> int:
        """Seconds a ticket would wait: see ``hall_estimate.py``."""
        raise NotImplementedError

    def waiting_count(self, service_code: str) -> int:
        """Tickets waiting for the service now."""
        return len(self.queues[service_code])
