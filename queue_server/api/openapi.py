"""The OpenAPI 3.1 document of the API, served at ``/api/openapi.json``.

Written by hand next to the routes it describes; ``tests/test_openapi.py`` checks that it
is a valid document, that it names exactly the routes the app serves, and that real
responses match its schemas.
"""

from __future__ import annotations

import functools
from typing import Any

from queue_server.core.model import Priority, Status

ERROR_CODES = [
    "malformed_json",
    "invalid_request",
    "unauthorized",
    "token_expired",
    "invalid_credentials",
    "forbidden",
    "forbidden_priority",
    "wrong_window",
    "not_found",
    "method_not_allowed",
    "unknown_service",
    "unknown_window",
    "unknown_ticket",
    "illegal_transition",
    "service_closed",
    "daily_cap_reached",
    "recall_limit",
    "window_closed",
    "window_paused",
    "window_busy",
    "window_occupied",
    "payload_too_large",
    "store_unavailable",
    "internal_error",
    "unknown_guide",
    "nothing_to_rate",
    "unknown_followup",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _resp(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out.update(_json_body(schema))
    return out


def _errors(*statuses: int) -> dict[str, Any]:
    text = {
        400: "Malformed JSON (`malformed_json`) or invalid fields (`invalid_request`).",
        401: "Missing or wrong token (`unauthorized`), expired session (`token_expired`).",
        403: "Not allowed for this caller (`forbidden`, `forbidden_priority`, `wrong_window`).",
        404: "No such ticket or window (`unknown_ticket`, `unknown_window`).",
        409: "Refused in the present state (`illegal_transition`, `service_closed`, "
        "`daily_cap_reached`, `recall_limit`, `window_closed`, `window_paused`, `window_busy`, "
        "`window_occupied`).",
        413: "Body over 16 KiB (`payload_too_large`).",
        422: "The body names a service that does not exist (`unknown_service`).",
        503: "The database could not be written; nothing happened (`store_unavailable`).",
    }
    return {str(s): _resp(text[s], _ref("Error")) for s in statuses}


SECURED = [{"bearer": []}]
ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": INT}
WINDOW_PARAM = {"name": "number", "in": "path", "required": True, "schema": INT}


def _ticket_action(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": SECURED,
        "parameters": [ID_PARAM],
        "responses": {
            "200": _resp("The ticket after the action.", _ref("Ticket")),
            **_errors(400, 401, 403, 404, 409, 503),
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, **_json_body(body)}
    return op


def _window_change(summary: str) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": SECURED,
        "parameters": [WINDOW_PARAM],
        "responses": {
            "200": _resp(
                "The window's status.", _obj(["number", "status"], number=INT, status=STR, since=_nullable(TIME))
            ),
            **_errors(401, 403, 404, 409, 503),
        },
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    ticket = _obj(
        ["id", "number", "service", "status", "waiting_ahead", "estimated_wait_s", "issued_at"],
        id=INT,
        number={"type": "string", "examples": ["A001"]},
        service=STR,
        service_name=STR,
        department=_nullable(STR),
        department_name=_nullable(STR),
        priority={"enum": [p.value for p in Priority]},
        priority_label=STR,
        status={"enum": [s.value for s in Status]},
        status_label=STR,
        window=_nullable(INT),
        window_name=_nullable(STR),
        business_day=DAY,
        issued_at=TIME,
        called_at=_nullable(TIME),
        started_at=_nullable(TIME),
        finished_at=_nullable(TIME),
        call_count=INT,
        transfer_count=INT,
        original_service=_nullable(STR),
        waiting_ahead={"type": "integer", "minimum": 0, "description": "Live for a waiting ticket."},
        estimated_wait_s={"type": "integer", "minimum": 0},
        status_path=_nullable({"type": "string", "description": "The ticket's status page, /t/CODE."}),
        status_url=_nullable({"type": "string", "description": "status_path on the hall's public_url."}),
    )
    guide_short = _obj(
        ["code", "name", "kind", "service", "initials"],
        code=STR,
        name=STR,
        kind={"enum": ["即办件", "承诺件"]},
        service=STR,
        service_name=STR,
        department=STR,
        department_name=STR,
        initials=STR,
        keywords={"type": "array", "items": STR},
    )
    text_list = {"type": "array", "items": STR}
    guide = {
        **guide_short,
        "required": [
            *guide_short["required"],
            "legal_basis",
            "conditions",
            "materials",
            "procedure",
            "statutory_limit",
            "promised_limit",
            "fees",
            "complaint_phone",
        ],
        "properties": {
            **guide_short["properties"],
            "legal_basis": text_list,
            "conditions": text_list,
            "materials": text_list,
            "procedure": text_list,
            "statutory_limit": STR,
            "promised_limit": STR,
            "complaint_phone": STR,
            "fees": {"type": "array", "items": _obj(["name", "standard"], name=STR, standard=STR, basis=STR)},
        },
    }
    service = _obj(
        ["code", "name", "prefix", "department", "waiting", "open"],
        code=STR,
        name=STR,
        prefix=STR,
        department=STR,
        department_name=STR,
        waiting=INT,
        estimated_wait_s=INT,
        open=BOOL,
        hours=STR,
        daily_cap=_nullable(INT),
        issued_today=INT,
    )
    window_state = _obj(
        ["number", "name", "status", "services", "ticket"],
        number=INT,
        name=STR,
        status={"enum": ["closed", "open", "paused"]},
        services={"type": "array", "items": STR},
        ticket=_nullable(STR),
        ticket_status=_nullable(STR),
        since=_nullable(TIME),
    )
    call = _obj(
        ["number", "window", "at"],
        number=STR,
        service=STR,
        window=INT,
        window_name=_nullable(STR),
        at=TIME,
        call_count=INT,
    )
    state = _obj(
        ["seq", "business_day", "services", "windows", "recent_calls"],
        seq=INT,
        at=TIME,
        business_day=DAY,
        hall=_obj(["name"], name=STR, complaint_phone=STR, timezone=STR),
        notices={"type": "array", "items": STR},
        services={"type": "array", "items": _ref("Service")},
        windows={"type": "array", "items": _ref("WindowState")},
        recent_calls={"type": "array", "items": _ref("Call")},
    )
    error = _obj(
        ["error"],
        error=_obj(["code", "message"], code={"enum": ERROR_CODES}, message=STR, details={"type": "object"}),
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hallqueue",
            "version": "1",
            "description": "Queue server of a government service hall (政务服务中心). Every "
            'error is `{"error": {"code", "message"}}`; codes are stable, messages Chinese.',
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Ticket": ticket,
                "Service": service,
                "WindowState": window_state,
                "Call": call,
                "State": state,
                "Error": error,
                "GuideShort": guide_short,
                "Guide": guide,
            },
        },
        "paths": {
            "/api/services": {
                "get": {
                    "summary": "The services with their live waiting counts and whether they issue now.",
                    "responses": {
                        "200": _resp(
                            "Services, departments and the kiosk's home tiles.",
                            _obj(
                                ["hall", "services", "departments", "tiles"],
                                hall=_obj(["name"], name=STR, complaint_phone=STR),
                                services={"type": "array", "items": _ref("Service")},
                                departments={
                                    "type": "array",
                                    "items": _obj(["code", "name"], code=STR, name=STR, short_name=STR),
                                },
                                tiles={
                                    "type": "array",
                                    "items": _obj(
                                        ["name", "services"],
                                        name=STR,
                                        subtitle=STR,
                                        services={"type": "array", "items": STR},
                                    ),
                                },
                            ),
                        )
                    },
                }
            },
            "/api/state": {
                "get": {
                    "summary": "Public snapshot for screens (no personal data).",
                    "responses": {"200": _resp("The hall now.", _ref("State"))},
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Liveness: answers once the command loop has run a no-op.",
                    "responses": {
                        "200": _resp(
                            "Alive.",
                            _obj(
                                ["status", "seq"],
                                status=STR,
                                seq=INT,
                                business_day=DAY,
                                commits={"type": "integer", "description": "Transactions written since start."},
                            ),
                        )
                    },
                }
            },
            "/api/events": {
                "get": {
                    "summary": "WebSocket event stream.",
                    "description": "Upgrade to a WebSocket. The first message is "
                    "`{type: snapshot, seq, ...State}`, or with `?since=SEQ`, when every later event is "
                    "still kept, `{type: resumed, since, seq}` followed by the missed events. Then one "
                    "`{type: event, seq, kind, at, window, from, to, ticket, waiting}` per committed "
                    "change, in `seq` order. A client too slow to keep up is closed with code 1013 and "
                    "reconnects with `since`.",
                    "parameters": [
                        {"name": "since", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}}
                    ],
                    "responses": {"101": _resp("Switching protocols."), **_errors(400)},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": _resp("OpenAPI 3.1.", {"type": "object"})},
                }
            },
            "/api/login": {
                "post": {
                    "summary": "Sign in a clerk (at a window) or an admin; returns a bearer token.",
                    "requestBody": {
                        "required": True,
                        **_json_body(
                            _obj(
                                ["login", "password"],
                                login=STR,
                                password=STR,
                                window=INT,
                                force={"type": "boolean", "description": "Take over a window another clerk holds."},
                            )
                        ),
                    },
                    "responses": {
                        "200": _resp(
                            "Signed in.",
                            _obj(
                                ["token", "role", "expires_at"],
                                token=STR,
                                role={"enum": ["clerk", "admin"]},
                                login=STR,
                                window=_nullable(INT),
                                expires_at=TIME,
                            ),
                        ),
                        **_errors(400, 401, 404, 409, 413, 503),
                    },
                }
            },
            "/api/logout": {
                "post": {
                    "summary": "End this session; the window closes when nobody else holds it.",
                    "security": SECURED,
                    "responses": {"204": _resp("Signed out."), **_errors(401, 403, 503)},
                }
            },
            "/api/tickets": {
                "post": {
                    "summary": "Take a ticket (取号).",
                    "description": "Kiosks, clerks and admins. The same `request_id` from the same "
                    "device on the same day returns the first ticket (200) instead of a new one (201). "
                    "`green_channel` tickets are issued by staff only.",
                    "security": SECURED,
                    "requestBody": {
                        "required": True,
                        **_json_body(
                            _obj(
                                ["service"],
                                service=STR,
                                priority={"enum": [p.value for p in Priority]},
                                request_id={"type": "string", "maxLength": 100},
                            )
                        ),
                    },
                    "responses": {
                        "201": _resp("Issued, committed to disk.", _ref("Ticket")),
                        "200": _resp("The ticket issued earlier for this request_id.", _ref("Ticket")),
                        **_errors(400, 401, 403, 409, 413, 422, 503),
                    },
                }
            },
            "/api/tickets/{id}": {
                "get": {
                    "summary": "One ticket (any device or staff token).",
                    "security": SECURED,
                    "parameters": [ID_PARAM],
                    "responses": {"200": _resp("The ticket.", _ref("Ticket")), **_errors(401, 404, 503)},
                }
            },
            "/api/tickets/{id}/recall": {"post": _ticket_action("重呼: call the ticket again (capped).")},
            "/api/tickets/{id}/no-show": {
                "post": _ticket_action("过号: the visitor did not come; back to waiting while the hall's rule allows.")
            },
            "/api/tickets/{id}/start": {"post": _ticket_action("开始办理: serving starts.")},
            "/api/tickets/{id}/finish": {"post": _ticket_action("办结: served.")},
            "/api/tickets/{id}/transfer": {
                "post": _ticket_action(
                    "转移: to another service, keeping the number and the place in line.",
                    _obj(["service"], service=STR),
                )
            },
            "/api/tickets/{id}/cancel": {"post": _ticket_action("取消.")},
            "/api/windows/{number}/call-next": {
                "post": {
                    "summary": "叫号: the window takes the best waiting ticket by the routing policy.",
                    "security": SECURED,
                    "parameters": [WINDOW_PARAM],
                    "responses": {
                        "200": _resp("The called ticket.", _ref("Ticket")),
                        "204": _resp("Nobody waits for this window."),
                        **_errors(401, 403, 404, 409, 503),
                    },
                }
            },
            "/api/devices/faults": {
                "post": {
                    "summary": "A kiosk or display PC reports a part's state (printer paper, a board).",
                    "description": '`state` "ok" clears the part\'s fault. Shown to the hall manager.',
                    "security": SECURED,
                    "requestBody": {
                        "required": True,
                        **_json_body(_obj(["component", "state"], component=STR, state=STR, message=STR)),
                    },
                    "responses": {
                        "200": _resp(
                            "Recorded.",
                            _obj(
                                ["device", "component", "state", "changed"],
                                device=STR,
                                component=STR,
                                state=STR,
                                changed={"type": "boolean", "description": "False when it repeats the known state."},
                            ),
                        ),
                        **_errors(400, 401, 403, 413, 503),
                    },
                }
            },
            "/api/guides": {
                "get": {
                    "summary": "服务指南: every item in short, with pinyin initials for search (public).",
                    "responses": {
                        "200": _resp(
                            "The items.", _obj(["items"], items={"type": "array", "items": _ref("GuideShort")})
                        )
                    },
                }
            },
            "/api/guides/{code}": {
                "get": {
                    "summary": "One 服务指南 item with every field (public).",
                    "parameters": [{"name": "code", "in": "path", "required": True, "schema": STR}],
                    "responses": {
                        "200": _resp("The item.", _ref("Guide")),
                        "404": _resp("No such item (`unknown_guide`).", _ref("Error")),
                    },
                }
            },
            "/t/{code}": {
                "get": {
                    "summary": "A ticket's status page for visitors' phones (HTML, public, behind its QR code).",
                    "parameters": [{"name": "code", "in": "path", "required": True, "schema": STR}],
                    "responses": {
                        "200": {"description": "The page.", "content": {"text/html": {}}},
                        "404": {"description": "No ticket has that code.", "content": {"text/html": {}}},
                    },
                }
            },
            "/api/windows/{number}/queue": {
                "get": {
                    "summary": "The clerk console's view: the window, its ticket in hand, its services' queues.",
                    "security": SECURED,
                    "parameters": [WINDOW_PARAM],
                    "responses": {
                        "200": _resp(
                            "The window.",
                            _obj(
                                ["window", "status", "ticket", "services"],
                                window=INT,
                                name=STR,
                                status=STR,
                                ticket=_nullable(_ref("Ticket")),
                                all_services={"type": "array"},
                                services={
                                    "type": "array",
                                    "items": _obj(
                                        ["code", "waiting", "next"],
                                        code=STR,
                                        name=STR,
                                        waiting=INT,
                                        next={"type": "array", "items": STR},
                                    ),
                                },
                            ),
                        ),
                        **_errors(401, 403, 404, 503),
                    },
                }
            },
            "/api/windows/{number}/call": {
                "post": {
                    "summary": "指定叫号: call a given waiting number of a service this window serves.",
                    "security": SECURED,
                    "parameters": [WINDOW_PARAM],
                    "requestBody": {"required": True, **_json_body(_obj(["number"], number=STR))},
                    "responses": {
                        "200": _resp("The called ticket.", _ref("Ticket")),
                        **_errors(400, 401, 403, 404, 409, 503),
                    },
                }
            },
            "/api/windows/{number}/request-rating": {
                "post": {
                    "summary": "评价: ask the visitor to rate on the window's evaluator tablet.",
                    "security": SECURED,
                    "parameters": [WINDOW_PARAM],
                    "responses": {
                        "200": _resp(
                            "The ticket to be rated.", _obj(["window", "ticket_id"], window=INT, ticket_id=INT)
                        ),
                        **_errors(401, 403, 404, 409, 503),
                    },
                }
            },
            "/api/windows/{number}/rating": {
                "get": {
                    "summary": "What the window's evaluator tablet may rate now (display device or staff).",
                    "security": SECURED,
                    "parameters": [WINDOW_PARAM],
                    "responses": {
                        "200": _resp(
                            "The ticket.", _obj(["ticket_id", "number"], ticket_id=INT, number=STR, service_name=STR)
                        ),
                        "204": _resp("Nothing to rate."),
                        **_errors(401, 403, 404, 503),
                    },
                },
                "post": {
                    "summary": "好差评: rate the ticket the window just served (one rating per ticket).",
                    "description": "Levels 5 非常满意 … 1 非常不满意; reasons only for levels 1-2. A level 1 or 2 "
                    "opens a follow-up due in 15 working days.",
                    "security": SECURED,
                    "parameters": [WINDOW_PARAM],
                    "requestBody": {
                        "required": True,
                        **_json_body(
                            _obj(
                                ["level"],
                                level={"type": "integer", "minimum": 1, "maximum": 5},
                                reasons={"type": "array", "items": STR},
                            )
                        ),
                    },
                    "responses": {
                        "201": _resp(
                            "Recorded.",
                            _obj(
                                ["ticket_id", "level"],
                                ticket_id=INT,
                                number=STR,
                                level=INT,
                                level_label=STR,
                                window=INT,
                            ),
                        ),
                        **_errors(400, 401, 403, 404, 409, 503),
                    },
                },
            },
            "/api/ratings/options": {
                "get": {
                    "summary": "The five levels and the reasons offered for a low rating.",
                    "responses": {
                        "200": _resp(
                            "Options.",
                            _obj(
                                ["levels", "reasons"], levels={"type": "array"}, reasons={"type": "array", "items": STR}
                            ),
                        )
                    },
                }
            },
            "/api/followups/{id}/close": {
                "post": {
                    "summary": "The hall manager closes a low rating's follow-up with what was done (admin).",
                    "security": SECURED,
                    "parameters": [ID_PARAM],
                    "requestBody": {"required": True, **_json_body(_obj(["resolution"], resolution=STR))},
                    "responses": {
                        "200": _resp("Closed.", _obj(["id", "closed_at"], id=INT, closed_at=STR)),
                        **_errors(400, 401, 403, 404, 503),
                    },
                }
            },
            "/api/notices": {
                "put": {
                    "summary": "Replace the hall notices the lobby screens scroll (admin).",
                    "security": SECURED,
                    "requestBody": {
                        "required": True,
                        **_json_body(_obj(["notices"], notices={"type": "array", "items": STR})),
                    },
                    "responses": {
                        "200": _resp("Saved.", _obj(["notices"], notices={"type": "array", "items": STR})),
                        **_errors(400, 401, 403, 503),
                    },
                }
            },
            "/api/admin/overview": {
                "get": {
                    "summary": "The hall manager's live view and today's figures per service and window (admin).",
                    "security": SECURED,
                    "responses": {
                        "200": _resp(
                            "The hall.",
                            _obj(
                                ["windows", "services", "faults", "followups", "notices", "today"],
                                windows={"type": "array"},
                                services={"type": "array"},
                                faults={"type": "array"},
                                followups={"type": "array"},
                                notices={"type": "array"},
                                today={"type": "object"},
                            ),
                        ),
                        **_errors(401, 403, 503),
                    },
                }
            },
            "/api/reception/tickets": {
                "post": {
                    "summary": "咨询台: staff issue a ticket (any priority class) and print it on the desk's printer.",
                    "security": SECURED,
                    "requestBody": {
                        "required": True,
                        **_json_body(_obj(["service"], service=STR, priority={"enum": [p.value for p in Priority]})),
                    },
                    "responses": {
                        "201": _resp(
                            "Issued; print tells whether it printed.",
                            _obj(
                                ["ticket", "print"],
                                ticket=_ref("Ticket"),
                                print=_obj(["printed", "state"], printed=BOOL, state=STR, label=STR),
                            ),
                        ),
                        **_errors(400, 401, 403, 409, 422, 503),
                    },
                }
            },
            "/api/reception/printer": {
                "get": {
                    "summary": "The reception desk printer's status (staff).",
                    "security": SECURED,
                    "responses": {
                        "200": _resp(
                            "Status.", _obj(["configured", "state"], configured=BOOL, state=STR, label=STR, ready=BOOL)
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/clerk": {
                "get": {
                    "summary": "The clerk console (HTML).",
                    "responses": {"200": {"description": "The page.", "content": {"text/html": {}}}},
                }
            },
            "/admin": {
                "get": {
                    "summary": "The hall manager's page (HTML).",
                    "responses": {"200": {"description": "The page.", "content": {"text/html": {}}}},
                }
            },
            "/rate/{number}": {
                "get": {
                    "summary": "A window's evaluator tablet (HTML); open once as /rate/N#token=DISPLAY_TOKEN.",
                    "parameters": [WINDOW_PARAM],
                    "responses": {"200": {"description": "The page.", "content": {"text/html": {}}}},
                }
            },
            "/static/{name}": {
                "get": {
                    "summary": "The staff pages' scripts, style sheets and the bundled CJK font.",
                    "parameters": [{"name": "name", "in": "path", "required": True, "schema": STR}],
                    "responses": {
                        "200": {"description": "The file."},
                        "404": _resp("No such file (`not_found`).", _ref("Error")),
                    },
                }
            },
            "/display": {
                "get": {
                    "summary": "The lobby screen (HTML): latest calls, windows, waiting, notices; pushed live.",
                    "parameters": [
                        {
                            "name": "services",
                            "in": "query",
                            "required": False,
                            "schema": STR,
                            "description": "Comma-separated service codes: a screen for part of the hall.",
                        }
                    ],
                    "responses": {"200": {"description": "The page.", "content": {"text/html": {}}}},
                }
            },
            "/display/static/{name}": {
                "get": {
                    "summary": "The lobby screen's script, style sheet and bundled CJK font.",
                    "parameters": [{"name": "name", "in": "path", "required": True, "schema": STR}],
                    "responses": {
                        "200": {"description": "The file."},
                        "404": _resp("No such file (`not_found`).", _ref("Error")),
                    },
                }
            },
            "/api/windows/{number}/pause": {"post": _window_change("暂停服务: the window takes no calls.")},
            "/api/windows/{number}/resume": {"post": _window_change("恢复服务.")},
        },
    }
