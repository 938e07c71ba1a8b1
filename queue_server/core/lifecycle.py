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
from .model import Status

W, C, S = Status.WAITING, Status.CALLED, Status.SERVING

#: action -> statuses it may start from
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "call": frozenset({W}),
    "recall": frozenset({C}),
    "start": frozenset({C}),
    "finish": frozenset({C, S}),
    "no-show": frozenset({C}),
    "transfer": frozenset({W, C, S}),
    "cancel": frozenset({W, C}),
    "expire": frozenset({W, C, S}),
}

ACTION_LABELS = {
    "call": "叫号",
    "recall": "重呼",
    "start": "开始办理",
    "finish": "办结",
    "no-show": "过号",
    "transfer": "转移",
    "cancel": "取消",
    "expire": "过期",
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


def check(action: str, number: str, status: Status) -> None:
    """Raise ``IllegalTransition`` unless ``action`` applies to a ticket in ``status``."""
    allowed = ALLOWED_FROM[action]
    if status not in allowed:
        raise IllegalTransition(
            f"{number} 号当前{STATUS_LABELS[status]}，不能{ACTION_LABELS[action]}",
            action=action,
            status=status.value,
            allowed_from=sorted(s.value for s in allowed),
        )
