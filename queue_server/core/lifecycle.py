"""The ticket state machine: which action may move a ticket from which status to which.

issue ─▶ waiting ──call──▶ called ──start──▶ serving ──finish──▶ done
            ▲                │  ▲ recall (重呼, capped)
            │                │  └─┘
            └── no-show ─────┤  no-show (过号): back to waiting while the hall's
                (requeue)    │  rule allows a requeue, else no_show
                             └──finish──▶ done (served without pressing start)
transfer (转移): called/serving (or waiting) ─▶ waiting in another service
cancel: waiting/called ─▶ cancelled
day end: every unfinished ticket ─▶ expired
"""

from __future__ import annotations

from .errors import IllegalTransition
from .model import Status, TicketAction

W, C, S = Status.WAITING, Status.CALLED, Status.SERVING

# Steps the hall takes that are no staff action on a ticket.
CALL = "call"
EXPIRE = "expire"

#: action -> statuses it may start from
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    CALL: frozenset({W}),
    TicketAction.RECALL: frozenset({C}),
    TicketAction.START: frozenset({C}),
    TicketAction.FINISH: frozenset({C, S}),
    TicketAction.NO_SHOW: frozenset({C}),
    TicketAction.TRANSFER: frozenset({W, C, S}),
    TicketAction.CANCEL: frozenset({W, C}),
    EXPIRE: frozenset({W, C, S}),
}

ACTION_LABELS = {
    CALL: "叫号",
    TicketAction.RECALL: "重呼",
    TicketAction.START: "开始办理",
    TicketAction.FINISH: "办结",
    TicketAction.NO_SHOW: "过号",
    TicketAction.TRANSFER: "转移",
    TicketAction.CANCEL: "取消",
    EXPIRE: "过期",
}

STATUS_LABELS = {
    Status.WAITING: "等候中",
    Status.CALLED: "已叫号",
    Status.SERVING: "办理中",
    Status.DONE: "已办结",
    Status.NO_SHOW: "已过号",
    Status.CANCELLED: "已取消",
    Status.EXPIRED: "已过期",
}


def check(action: TicketAction | str, number: str, status: Status) -> None:
    """Raise ``IllegalTransition`` unless ``action`` applies to a ticket in ``status``.

    ``action`` is a ``TicketAction`` (or its string), ``CALL`` or ``EXPIRE``.
    """
    allowed = ALLOWED_FROM[action]
    if status not in allowed:
        raise IllegalTransition(
            f"{number} 号当前{STATUS_LABELS[status]}，不能{ACTION_LABELS[action]}",
            action=action,
            status=status.value,
            allowed_from=sorted(s.value for s in allowed),
        )
