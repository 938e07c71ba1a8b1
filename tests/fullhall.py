"""The sample hall at full scale, for the screen tests: a real server on the sample config (all
37 windows, 67 services) open all day, every window signed in, dozens of services waiting.

``FullHall.start()`` runs ``hallqueue serve`` in its own process; ``busy()`` fills it the way a
morning peak does. Clerks are ``clerk<N>`` with the demo names and staff numbers (some with a
photo), plus ``manager``, ``admin`` and ``reception``; all sign in with ``PASSWORD``.
"""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

import aiohttp
from PIL import Image, ImageDraw

from queue_server.config import load_hall_config
from queue_server.store import accounts
from queue_server.store.database import open_database
from queue_server.store.demo import DEMO_NAMES, demo_staff_no
from queue_server.store.photos import prepare_photo
from tests.ids import citizen_id

from .conftest import OPENING, PASSWORD
from .serverproc import ServerProcess

SAMPLE = resources.files("queue_server.config").joinpath("sample")
PHOTO_WINDOWS = (1, 2, 3, 31)  # these windows' clerks have a photo


def all_day_sample(folder: Path) -> Path:
    """The sample hall's config, open all day every day (no holidays), without the kiosk rate limit."""
    text = SAMPLE.joinpath("hall.toml").read_text(encoding="utf-8")
    text = re.sub(r"^hours = .*$", 'hours = { daily = ["00:00-24:00"] }', text, flags=re.M)
    text = re.sub(r"^daily_cap = .*$", "", text, flags=re.M)
    # No holidays: the screens are tested whatever the date the tests run on.
    text = re.sub(r"^calendar = .*$", "", text, flags=re.M)
    guides = Path(str(SAMPLE.joinpath("guides.toml")))
    text = text.replace('guides = "guides.toml"', f'guides = "{guides.as_posix()}"')
    text += "\n[limits]\nkiosk_tickets_per_minute = 0\n"
    path = folder / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def sample_photo(seed: int) -> bytes:
    """A plain portrait-shaped picture (a head and shoulders in flat colours)."""
    image = Image.new("RGB", (600, 800), (200 - seed * 10 % 80, 215, 235))
    draw = ImageDraw.Draw(image)
    draw.ellipse((190, 140, 410, 400), fill=(236, 200, 170))
    draw.rectangle((120, 430, 480, 800), fill=(30, 60, 110))
    out = io.BytesIO()
    image.save(out, "PNG")
    return prepare_photo(out.getvalue())


class FullHall:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.config_path = all_day_sample(folder)
        self.config = load_hall_config(self.config_path)
        self.db_path = folder / "hall.db"
        db = open_database(self.db_path)
        for i, n in enumerate(self.config.windows):
            photo = sample_photo(n) if n in PHOTO_WINDOWS else None
            name = DEMO_NAMES[i % len(DEMO_NAMES)]
            accounts.add_user(
                db, f"clerk{n}", "clerk", PASSWORD, OPENING, name=name, staff_no=demo_staff_no(n), photo=photo
            )
        accounts.add_user(db, "manager", "manager", PASSWORD, OPENING, name="周主任", staff_no="QJ9001")
        accounts.add_user(db, "admin", "admin", PASSWORD, OPENING)
        accounts.add_user(db, "reception", "reception", PASSWORD, OPENING, name="咨询台", staff_no="QJ9002")
        self.kiosk = {"Authorization": f"Bearer {accounts.add_device(db, 'kiosk-1', 'kiosk', OPENING)}"}
        self.display_token = accounts.add_device(db, "display-1", "display", OPENING)
        self.tablets = {
            n: accounts.add_device(db, f"evaluator-{n}", "evaluator", OPENING, window=n) for n in self.config.windows
        }
        db.close()
        self.server = ServerProcess(self.db_path, self.config_path, folder / "server.log")
        self.clerks: dict[int, dict[str, str]] = {}

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> None:
        await self.server.start()

    def stop(self) -> None:
        self.server.stop()

    async def api(self, method: str, path: str, headers=None, body=None, ok=True):
        """One request; its JSON answer (None for 204 or a body that is not JSON)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.url + path, json=body, headers=headers) as resp,
        ):
            if ok:
                assert resp.status < 300, f"{method} {path}: {resp.status} {await resp.text()}"
            return await resp.json() if resp.content_type == "application/json" else None

    async def sign_in_all(self) -> None:
        for n in self.config.windows:
            result = await self.api(
                "POST", "/api/login", body={"login": f"clerk{n}", "password": PASSWORD, "window": n}
            )
            self.clerks[n] = {"Authorization": f"Bearer {result['token']}"}

    def one_window_service(self) -> tuple[str, int]:
        """A service exactly one window serves, and that window: each call is one step in its queue."""
        for code in self.config.services:
            windows = [n for n, w in self.config.windows.items() if code in w.services]
            if len(windows) == 1:
                return code, windows[0]
        raise AssertionError("the sample hall has no service with a single window")

    async def clerk_at(self, window: int) -> dict[str, str]:
        """Headers of the window's clerk, signed in there."""
        body = {"login": f"clerk{window}", "password": PASSWORD, "window": window}
        result = await self.api("POST", "/api/login", body=body)
        self.clerks[window] = {"Authorization": f"Bearer {result['token']}"}
        return self.clerks[window]

    async def staff(self, login: str) -> dict[str, str]:
        result = await self.api("POST", "/api/login", body={"login": login, "password": PASSWORD})
        return {"Authorization": f"Bearer {result['token']}"}

    async def issue(self, service: str, count: int = 1) -> list[dict]:
        """``count`` tickets; a service that issues by ID card gets a different ID for each."""
        by_id = self.config.services[service].real_name == "required"
        return [
            await self.api(
                "POST",
                "/api/tickets",
                self.kiosk,
                {"service": service, **({"id_number": citizen_id()} if by_id else {})},
            )
            for _ in range(count)
        ]

    async def busy(self, waiting_services: int = 45) -> set[str]:
        """Every window signed in and serving; ``waiting_services`` services with people waiting.

        Returns the codes of the services left waiting. Window 12 is paused (社保1), window 37
        (咨询台) is open with nobody at it.
        """
        await self.sign_in_all()
        codes = list(self.config.services)
        # One ticket each for what the windows call now, then 1-4 more waiting in each service.
        for code in codes:
            await self.issue(code)
        for n in self.config.windows:
            if n != 37:
                await self.api("POST", f"/api/windows/{n}/call-next", self.clerks[n], ok=False)
        waiting = [c for c in codes if c != "zx-consult"][:waiting_services]
        for i, code in enumerate(waiting):
            await self.issue(code, 1 + i % 4)
        await self.api("POST", "/api/windows/12/pause", self.clerks[12], ok=False)
        state = await self.api("GET", "/api/state")
        return {s["code"] for s in state["services"] if s["waiting"] > 0}
