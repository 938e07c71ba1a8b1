"""The pages the server hands out: the lobby screen (``/display``, from ``static/lobby``), and
the staff pages (``/clerk``, ``/rate/N``, ``/admin``, from ``queue_server/static``), with their
scripts, style sheets and the bundled CJK font. A hall without internet gets every byte from here.

Every HTML page (these and the status page ``/t/CODE``) carries ``CONTENT_SECURITY_POLICY``,
set for all of them in ``app.py``: scripts, styles, fonts and connections from this server only,
no inline script or style, no framing.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from hardware.fonts import font_path
from queue_server.api.errors import ApiError

WEB = resources.files("queue_server").joinpath("static")
LOBBY = WEB.joinpath("lobby")
_TYPES = {
    "html": "text/html",
    "css": "text/css",
    "js": "text/javascript",
    "json": "application/json",  # the public guide page's string catalogues, one per language
    "otf": "font/otf",
    "wav": "audio/wav",  # the phone page's chime: offline, no text-to-speech service
}
# connect-src 'self' covers the page's own ws:// or wss:// origin (the event stream).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # blob: the staff photo, fetched with the tablet's token
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {"Cache-Control": "no-cache"}  # the policy is added to every HTML answer, see app.py
Assets = dict[str, tuple[bytes, str]]
LOBBY_ASSETS = web.AppKey("lobby_assets", dict)
STAFF_ASSETS = web.AppKey("staff_assets", dict)


def _load(folder, names: list[str], fonts: Assets) -> Assets:
    assets = {name: (folder.joinpath(name).read_bytes(), _TYPES[name.rsplit(".", 1)[1]]) for name in names}
    assets.update(fonts)
    return assets


def _page(folder, name: str, headers: dict[str, str]):
    body = folder.joinpath(name).read_bytes()  # read once, when the app is built

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers=headers)

    return handler


def _asset(key: web.AppKey):
    async def handler(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        found = request.app[key].get(name)
        if found is None:
            raise ApiError(404, "not_found", f"没有这个文件：{name}")
        body, content_type = found
        return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "max-age=3600"})

    return handler


def setup_pages(app: web.Application) -> None:
    # The two fonts are 3 MB each: read once, served under both folders.
    fonts = {
        "font-bold.otf": (font_path(bold=True).read_bytes(), _TYPES["otf"]),
        "font-regular.otf": (font_path(bold=False).read_bytes(), _TYPES["otf"]),
    }
    app[LOBBY_ASSETS] = _load(LOBBY, ["lobby.css", "lobby.js"], fonts)
    served = [p.name for p in WEB.iterdir() if p.name.endswith((".css", ".js", ".json", ".wav"))]
    app[STAFF_ASSETS] = _load(WEB, served, fonts)
    r = app.router
    r.add_get("/display", _page(LOBBY, "index.html", _PAGE_HEADERS), name="display")
    r.add_get(r"/display/static/{name:[a-z0-9.-]+}", _asset(LOBBY_ASSETS), name="display_asset")
    r.add_get("/clerk", _page(WEB, "clerk.html", _PAGE_HEADERS), name="clerk_page")
    r.add_get("/admin", _page(WEB, "admin.html", _PAGE_HEADERS), name="admin_page")
    # 统计分析 and the printable 部门月报: pages of the report API (which checks the role).
    r.add_get("/admin/reports", _page(WEB, "reports.html", _PAGE_HEADERS), name="reports_page")
    r.add_get("/admin/reports/monthly", _page(WEB, "monthly.html", _PAGE_HEADERS), name="monthly_report_page")
    r.add_get(r"/rate/{number:\d+}", _page(WEB, "rate.html", _PAGE_HEADERS), name="rate_page")
    # 预约: the visitor's phone page over the public booking API; /book/CODE opens one booking.
    book = _page(WEB, "book.html", _PAGE_HEADERS)
    r.add_get("/book", book, name="book_page")
    r.add_get(r"/book/{code:[A-Za-z0-9]{8}}", book, name="booking_page")
    r.add_get(r"/static/{name:[a-z0-9.-]+}", _asset(STAFF_ASSETS), name="staff_asset")
    # 服务指南 for the public (网上事项公示): the list, and one item by its code.
    guides = _page(WEB, "guides.html", _PAGE_HEADERS)
    r.add_get("/guides", guides, name="guides_page")
    r.add_get(r"/guides/{code:[a-z0-9][a-z0-9_-]{0,39}}", guides, name="guide_page")
