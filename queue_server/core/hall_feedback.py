"""好差评 at the windows: which ticket a window's evaluator tablet may rate, the rating, and the
follow-up a low rating opens. A part of ``HallState`` (see :mod:`.hall_base`)."""

from __future__ import annotations

from datetime import datetime

from .errors import AlreadyRated, NothingToRate, UnknownFollowUp
from .feedback import FOLLOW_UP_WORKING_DAYS, LOW, FollowUp, Rating, add_working_days
from .hall_base import HallBase
from .journal import Restored
from .model import EventKind, HallConfig, Status, Ticket


class HallFeedback(HallBase):
    """Ratings and follow-ups. One rating per ticket, only from the window that served it."""

    def __init__(self, config: HallConfig, restored: Restored) -> None:
        super().__init__(config, restored)
        self.rated = set(restored.rated_today)
        self.to_rate: dict[int, Ticket] = {t.id: t for t in restored.to_rate}  # finished, awaiting 好差评
        self.followups: dict[int, FollowUp] = {f.id: f for f in restored.open_followups}
        self.next_followup_id = restored.next_followup_id

    def _offer_rating(self, ticket: Ticket) -> None:
        """A ticket is being finished at its window: its visitor may rate the service there now."""
        if ticket.window not in self.windows or ticket.id in self.rated:  # None, or a window since removed
            return
        w = self.windows[ticket.window]
        self.to_rate.pop(w.rating_ticket, None)  # the previous visitor's chance has passed
        w.rating_ticket = ticket.id
        self.to_rate[ticket.id] = ticket

    def _forget_ratings(self) -> None:
        """A new business day: the old day's tickets can no longer be rated."""
        self.rated.clear()
        self.to_rate.clear()

    def request_rating(self, number: int, actor: str, now: datetime) -> int:
        """评价: the clerk asks the visitor in front of the window to rate (the ticket in hand,
        else the one just finished). Returns the ticket to be rated."""
        w = self.window(number)
        ticket_id = w.ticket_id if w.ticket_id in self.active else w.rating_ticket
        if ticket_id is None or ticket_id in self.rated:
            raise NothingToRate(f"{number} 号窗口没有待评价的办件", window=number)
        w.rating_ticket = ticket_id
        ticket = self.active.get(ticket_id)
        self._emit(
            EventKind.RATING_REQUESTED,
            actor,
            now,
            window=number,
            rating_ticket=ticket_id,
            number=ticket.number if ticket else None,
        )
        return ticket_id

    def pending_rating(self, number: int) -> Ticket | None:
        """The ticket window ``number``'s evaluator tablet may rate now, if any."""
        w = self.window(number)
        if w.rating_ticket is None or w.rating_ticket in self.rated:
            return None
        return self.active.get(w.rating_ticket) or self.to_rate.get(w.rating_ticket)

    def rate(
        self,
        number: int,
        level: int,
        reasons: tuple[str, ...],
        actor: str,
        now: datetime,
        comment: str = "",
        phone: str | None = None,
    ) -> Rating:
        """The evaluator tablet of window ``number`` rates the ticket the window just served.

        One rating per ticket; no other ticket can be rated from that window. ``actor`` (the
        tablet or the clerk who entered it) is kept on the rating as ``rated_by``. A low rating
        names at least one reason; ``phone`` (for the call-back) goes only on its follow-up.
        """
        ticket = self.pending_rating(number)
        if ticket is None:
            raise NothingToRate(f"{number} 号窗口没有待评价的办件", window=number)
        self._check_rating(level, reasons, phone)
        w = self.windows[number]
        w.rating_ticket = None
        return self._record_rating(ticket, number, w.clerk, level, reasons, actor, now, comment, phone)

    def can_rate_by_phone(self, ticket: Ticket) -> bool:
        """扫码评价 is open for a ticket finished today and not rated yet (by tablet or phone)."""
        return ticket.status is Status.DONE and ticket.business_day == self.day and ticket.id not in self.rated

    def rate_by_phone(
        self,
        ticket: Ticket,
        level: int,
        reasons: tuple[str, ...],
        actor: str,
        now: datetime,
        comment: str = "",
        phone: str | None = None,
    ) -> Rating:
        """扫码评价: the visitor rates a ticket finished today from the page its QR code opens.

        The same one rating per ticket as the tablet's: whichever comes first counts, and the
        window's tablet no longer offers a ticket rated by phone. The rating is about the window
        and the clerk who served the ticket, whoever is there now.
        """
        if ticket.id in self.rated:
            raise AlreadyRated(f"{ticket.number} 号已评价过，感谢您的反馈", number=ticket.number)
        if ticket.status is not Status.DONE or ticket.window is None:
            raise NothingToRate(f"{ticket.number} 号还没有办结，办结后可以评价", number=ticket.number)
        if ticket.business_day != self.day:
            raise NothingToRate(f"{ticket.number} 号的评价期限已过（当天办结的业务当天评价）", number=ticket.number)
        self._check_rating(level, reasons, phone)
        w = self.windows.get(ticket.window)
        if w is not None and w.rating_ticket == ticket.id:
            w.rating_ticket = None  # the tablet stops offering it
        return self._record_rating(ticket, ticket.window, ticket.clerk, level, reasons, actor, now, comment, phone)

    @staticmethod
    def _check_rating(level: int, reasons: tuple[str, ...], phone: str | None) -> None:
        if level not in (1, 2, 3, 4, 5):
            raise ValueError(f"rating level {level}")
        if level in LOW and not reasons:
            raise ValueError("a low rating names at least one reason")
        if phone is not None and level not in LOW:
            raise ValueError("a call-back number is only taken with a low rating")

    def _record_rating(
        self,
        ticket: Ticket,
        window: int,
        clerk: str | None,
        level: int,
        reasons: tuple[str, ...],
        actor: str,
        now: datetime,
        comment: str,
        phone: str | None,
    ) -> Rating:
        rating = Rating(
            ticket.id,
            ticket.number,
            ticket.service,
            window,
            clerk,
            level,
            reasons,
            now,
            self.day,
            rated_by=actor,
            comment=comment,
        )
        self.rated.add(ticket.id)
        self.to_rate.pop(ticket.id, None)
        self.journal.ratings.append(rating)
        self._emit(
            EventKind.RATED,
            actor,
            now,
            window=window,
            rating_ticket=rating.ticket_id,
            number=rating.number,
            level=level,
        )
        if level in LOW:
            self._open_followup(rating, actor, now, phone)
        return rating

    def _open_followup(self, rating: Rating, actor: str, now: datetime, phone: str | None) -> None:
        """整改跟进 for a low rating, due in 15 working days of the hall's calendar."""
        followup = FollowUp(
            self.next_followup_id,
            rating.ticket_id,
            rating.number,
            rating.window,
            rating.clerk,
            rating.level,
            rating.reasons,
            now,
            add_working_days(now.astimezone(self.config.timezone).date(), FOLLOW_UP_WORKING_DAYS, self.config.calendar),
            comment=rating.comment,
            phone=phone,
        )
        self.next_followup_id += 1
        self.followups[followup.id] = followup
        self.journal.followups[followup.id] = followup
        self._emit(
            EventKind.FOLLOWUP_OPENED, actor, now, followup=followup.id, number=rating.number, window=rating.window
        )

    def close_followup(self, followup_id: int, resolution: str, actor: str, now: datetime) -> FollowUp:
        """The hall manager closes a follow-up with what was done; raises ``UnknownFollowUp``."""
        followup = self.followups.get(followup_id)
        if followup is None:
            raise UnknownFollowUp(f"没有未办结的跟进事项 {followup_id}", followup=followup_id)
        followup.close(resolution, actor, now)
        del self.followups[followup_id]
        self.journal.followups[followup_id] = followup
        self._emit(EventKind.FOLLOWUP_CLOSED, actor, now, followup=followup_id, number=followup.number)
        return followup
