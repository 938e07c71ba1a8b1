"""Pages the server hands to screens: the lobby screen (``/display``) and its assets.

The page itself lives in ``displays/lobby`` (what the hall shows is the displays' business);
the server only serves it, with the bundled CJK font, so a hall without internet gets every
byte from here.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from hardware.fonts import font_path

from .http_errors import ApiError

LOBBY_DIR = resources.files("displays").joinpath("lobby")
_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".otf": "font/otf"}


def _assets() -> dict[str, tuple[bytes, str]]:
    files = {}
    for name in ("lobby.css", "lobby.js"):
        files[name] = (LOBBY_DIR.joinpath(name).read_bytes(), _TYPES["." + name.rsplit(".", 1)[1]])
    files["font-bold.otf"] = (font_path(bold=True).read_bytes(), _TYPES[".otf"])
    files["font-regular.otf"] = (font_path(bold=False).read_bytes(), _TYPES[".otf"])
    return files


async def get_display(request: web.Request) -> web.Response:
    """The lobby screen; ``?services=a,b`` shows part of the hall."""
    return web.Response(body=LOBBY_DIR.joinpath("index.html").read_bytes(), content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-cache"})


async def get_display_asset(request: web.Request) -> web.Response:
    assets = request.app[ASSETS]
    name = request.match_info["name"]
    if name not in assets:
        raise ApiError(404, "not_found", f"没有这个文件：{name}")
    body, content_type = assets[name]
    return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "max-age=3600"})


ASSETS = web.AppKey("display_assets", dict)


def setup_pages(app: web.Application) -> None:
    app[ASSETS] = _assets()
    app.router.add_get("/display", get_display, name="display")
    app.router.add_get(r"/display/static/{name:[a-z0-9.-]+}", get_display_asset, name="display_asset")
