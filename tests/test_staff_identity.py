"""亮牌 (staff name, 工号, photo), the call-back number of a low rating, Chinese refusals, and the
过号 call-back over the API: provisioning from the command line, a real server, a real database."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from queue_server.store import accounts
from queue_server.store.database import connect, open_database
from queue_server.store.photos import PhotoError, prepare_photo
from queue_server.store.schema import MIGRATIONS, migrate

from .conftest import Hall, hall_data
from .serverproc import hallqueue
from .test_api import error_of


def png(width: int, height: int, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "PNG" if exif is None else "JPEG", exif=exif or b"")
    return out.getvalue()


def claimed_png(width: int, height: int) -> bytes:
    """A PNG whose header claims a size, with no pixels: how a decompression bomb starts."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


# ------------------------------------------------------------ photos


def test_a_photo_is_re_encoded_to_a_small_jpeg_without_its_metadata():
    exif = Image.Exif()
    exif[0x010F] = "Camera maker with a serial number"
    photo = prepare_photo(png(1200, 1600, exif=exif.tobytes()))
    with Image.open(io.BytesIO(photo)) as image:
        assert image.format == "JPEG" and image.size == (240, 320)
        assert not image.getexif()
    assert len(photo) < 40_000
    landscape = prepare_photo(png(1600, 900))  # cropped to 3:4, not squashed
    with Image.open(io.BytesIO(landscape)) as image:
        assert image.size == (240, 320)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"GIF89a not really", "not an image"),
        (png(1200, 1600)[:300], "damaged"),
        (png(40, 40), "at least 60x80"),
        (claimed_png(9000, 9000), "40 megapixels"),
    ],
)
def test_a_bad_photo_is_a_clear_error(data, why):
    with pytest.raises(PhotoError, match=why):
        prepare_photo(data)


# ------------------------------------------------------------ the command line


def test_user_add_and_set_give_staff_a_name_number_and_photo(tmp_path):
    db_path = tmp_path / "hall.db"
    (tmp_path / "wang.png").write_bytes(png(600, 800))
    (tmp_path / "notes.txt").write_text("not a photo", encoding="utf-8")
    added = hallqueue(
        db_path,
        *("user", "add", "wang", "--role", "clerk", "--name", "王芳", "--staff-no", "QJ0231"),
        *("--photo", str(tmp_path / "wang.png")),
        stdin="a long secret\n",
    )
    assert added.returncode == 0, added.stderr
    db = open_database(db_path)
    who = accounts.staff_identities(db)["wang"]
    assert (who.name, who.staff_no, who.has_photo) == ("王芳", "QJ0231", True)
    assert accounts.staff_photo(db, "wang")[:3] == b"\xff\xd8\xff"  # stored as JPEG
    db.close()

    bad = hallqueue(db_path, "user", "add", "li", "--role", "clerk", "--photo", str(tmp_path / "notes.txt"))
    assert bad.returncode != 0 and "notes.txt: not an image file" in bad.stderr
    db = open_database(db_path)
    assert "li" not in accounts.staff_identities(db)  # nothing was created
    db.close()

    changed = hallqueue(db_path, "user", "set", "wang", "--name", "王小芳", "--no-photo")
    assert changed.returncode == 0 and "updated wang: name, photo" in changed.stdout
    cleared = hallqueue(db_path, "user", "set", "wang", "--staff-no", "")
    assert cleared.returncode == 0
    db = open_database(db_path)
    who = accounts.staff_identities(db)["wang"]
    assert (who.name, who.staff_no, who.has_photo) == ("王小芳", None, False)
    db.close()
    assert hallqueue(db_path, "user", "set", "wang").returncode != 0  # nothing to change
    assert "no user" in hallqueue(db_path, "user", "set", "zhao", "--name", "赵").stderr
    assert "staff number" in hallqueue(db_path, "user", "set", "wang", "--staff-no", "工号1").stderr


def test_the_v5_migration_keeps_accounts_and_adds_identity(tmp_path):
    db = open_database(tmp_path / "new.db")  # fully migrated, for the comparison
    columns = {c.name for c in db["users"].columns}
    db.close()
    db = connect(tmp_path / "old.db")
    for step in MIGRATIONS[:4]:
        step(db)
    db.execute("PRAGMA user_version = 4")
    db.execute(
        "INSERT INTO users (login, role, password_hash, created_at, disabled) VALUES ('wang', 'clerk', 'x', '', 0)"
    )
    db.conn.commit()
    assert migrate(db) == 4
    assert {c.name for c in db["users"].columns} == columns
    assert accounts.staff_identities(db)["wang"].shown_name == "wang"  # no name yet: the login
    db.close()


# ------------------------------------------------------------ the API


async def named(hall: Hall) -> None:
    db = hall.db()
    accounts.set_user(db, "clerk1", name="王芳", staff_no="QJ0001", photo=prepare_photo(png(300, 400)))
    accounts.set_user(db, "clerk2", name="李娜", staff_no="QJ0002")
    db.close()


async def test_the_tablet_sees_who_serves_at_its_window(hall):
    await named(hall)
    closed = await (await hall.client.get("/api/windows/1/staff", headers=hall.evaluator(1))).json()
    assert closed == {
        "window": 1,
        "window_name": "户政1",
        "open": False,
        "name": None,
        "staff_no": None,
        "photo": False,
    }
    assert await error_of(await hall.client.get("/api/windows/1/staff/photo", headers=hall.evaluator(1)), 404) == (
        "no_photo"
    )
    await hall.clerk(1)
    await hall.clerk(2)
    card = await (await hall.client.get("/api/windows/1/staff", headers=hall.evaluator(1))).json()
    assert card == {
        "window": 1,
        "window_name": "户政1",
        "open": True,
        "name": "王芳",
        "staff_no": "QJ0001",
        "photo": True,
    }
    photo = await hall.client.get("/api/windows/1/staff/photo", headers=hall.evaluator(1))
    assert photo.status == 200 and photo.content_type == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store"
    with Image.open(io.BytesIO(await photo.read())) as image:
        assert image.size == (240, 320)
    other = await hall.client.get("/api/windows/2/staff", headers=hall.evaluator(1))
    assert await error_of(other, 403) == "wrong_window"
    assert await error_of(await hall.client.get("/api/windows/1/staff"), 401) == "unauthorized"
    display = {"Authorization": f"Bearer {hall.display_token}"}
    assert (await (await hall.client.get("/api/windows/2/staff", headers=display)).json())["name"] == "李娜"
    # A clerk's console and the manager's page show the name, not the login.
    queue = await (await hall.client.get("/api/windows/2/queue", headers=await hall.clerk(2))).json()
    assert (queue["clerk_name"], queue["staff_no"]) == ("李娜", "QJ0002")
    overview = await (await hall.client.get("/api/admin/overview", headers=await hall.manager())).json()
    shown = {w["number"]: (w["clerk"], w["clerk_name"], w["staff_no"]) for w in overview["windows"]}
    assert shown[1] == ("clerk1", "王芳", "QJ0001") and shown[3] == (None, None, None)
    login = await (
        await hall.client.post("/api/login", json={"login": "clerk1", "password": "correct horse battery", "window": 1})
    ).json()
    assert login["name"] == "王芳"


async def rate_low(hall: Hall, body: dict) -> tuple[int, dict]:
    clerk = await hall.clerk(1)
    ticket = await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=clerk)
    await hall.client.post(f"/api/tickets/{ticket['id']}/finish", headers=clerk)
    resp = await hall.client.post("/api/windows/1/rating", json=body, headers=hall.evaluator(1))
    return resp.status, await resp.json()


async def test_a_low_rating_needs_a_reason_and_keeps_the_phone_only_on_its_follow_up(hall):
    status, refused = await rate_low(hall, {"level": 1})
    assert status == 400 and refused["error"]["message"] == "请至少选择一个不满意的原因"
    resp = await hall.client.post(
        "/api/windows/1/rating", json={"level": 5, "phone": "13812345678"}, headers=hall.evaluator(1)
    )
    assert await error_of(resp, 400) == "invalid_request"
    resp = await hall.client.post(
        "/api/windows/1/rating", json={"level": 2, "reasons": ["等候时间"], "phone": "12345"}, headers=hall.evaluator(1)
    )
    body = await resp.json()
    assert resp.status == 400 and body["error"]["details"]["problems"] == ["联系电话（phone）：格式不对"]

    resp = await hall.client.post(
        "/api/windows/1/rating",
        json={"level": 2, "reasons": ["等候时间"], "comment": "  等了四十分钟\u202e  ", "phone": "13812345678"},
        headers=hall.evaluator(1),
    )
    rating = await resp.json()
    assert resp.status == 201 and rating["comment"] == "等了四十分钟"  # bidi override removed
    manager = await hall.manager()
    [followup] = (await (await hall.client.get("/api/admin/overview", headers=manager)).json())["followups"]
    assert followup["phone_masked"] == "138****5678" and followup["comment"] == "等了四十分钟"
    assert followup["state"] == "open"
    revealed = await hall.client.get(f"/api/followups/{followup['id']}/phone", headers=manager)
    assert await revealed.json() == {"id": followup["id"], "phone": "13812345678"}
    clerk_asks = await hall.client.get(f"/api/followups/{followup['id']}/phone", headers=await hall.clerk(1))
    assert await error_of(clerk_asks, 403) == "forbidden"
    db = hall.db()
    assert "13812345678" not in str(list(db.query("SELECT * FROM events")))  # not in the permanent log
    assert "13812345678" not in str(list(db.query("SELECT * FROM ratings")))
    db.close()

    closed = await hall.client.post(
        f"/api/followups/{followup['id']}/close", json={"resolution": "已电话回访，致歉并说明"}, headers=manager
    )
    assert closed.status == 200 and (await closed.json())["phone_masked"] is None
    db = hall.db()
    assert db.execute("SELECT phone FROM followups").fetchall() == [(None,)]  # erased with the close
    db.close()
    gone = await hall.client.get(f"/api/followups/{followup['id']}/phone", headers=manager)
    assert await error_of(gone, 404) == "unknown_followup"


async def test_refusals_of_a_body_are_in_chinese(hall):
    manager = await hall.manager()
    resp = await hall.client.post("/api/followups/1/close", json={"resolution": "x"}, headers=manager)
    error = (await resp.json())["error"]
    assert error["message"] == "请求内容有误：整改情况（resolution）：至少 2 个字"
    resp = await hall.client.post("/api/tickets", data=b'{"service": ', headers=hall.kiosk())
    error = (await resp.json())["error"]
    assert error["code"] == "malformed_json" and error["message"] == "请求不是合法的 JSON（第 1 行第 13 列）"
    resp = await hall.client.post("/api/tickets", json={"service": "hukou", "colour": "red"}, headers=hall.kiosk())
    assert (await resp.json())["error"]["details"]["problems"] == ["colour：不是这个请求的字段"]


async def test_a_no_show_is_called_back_over_the_api_and_after_a_restart(aiohttp_client, tmp_path, guides, clock):
    from queue_server.api.app import init_app
    from queue_server.config.hall_file import parse_hall_config

    from .conftest import provision

    data = hall_data()
    data["rules"].update({"no_show_requeues": 0, "no_show_recall_minutes": 30})
    config = parse_hall_config(data, "test-hall.toml")
    db_path = tmp_path / "hall.db"
    kiosk, display = provision(db_path, config.windows)
    hall = Hall(await aiohttp_client(init_app(config, db_path, clock, guides)), db_path, clock, kiosk, display)
    clerk = await hall.clerk(1)
    ticket = await hall.issue("hukou")
    await hall.client.post("/api/windows/1/call-next", headers=clerk)
    await hall.client.post(f"/api/tickets/{ticket['id']}/no-show", headers=clerk)
    await hall.client.close()

    clock.advance(minutes=10)  # the server restarts; the visitor comes back
    again = Hall(await aiohttp_client(init_app(config, db_path, clock, guides)), db_path, clock, kiosk, display)
    clerk = await again.clerk(2)
    called = await again.client.post("/api/windows/2/call", json={"number": "A001"}, headers=clerk)
    body = await called.json()
    assert called.status == 200 and (body["status"], body["window"], body["id"]) == ("called", 2, ticket["id"])
    state = await (await again.client.get("/api/state")).json()
    assert state["recent_calls"][0]["number"] == "A001" and state["recent_calls"][0]["window"] == 2
