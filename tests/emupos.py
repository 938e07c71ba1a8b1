"""emupos, the ESC/POS printer emulator, as a real printer on loopback TCP and on a pty.

It runs from its own Python 3.13 venv (``.venv-emupos``, made by ``scripts/test``) as a
separate process. Its control API injects faults and returns what it printed: a text dump
(every byte >= 0x80 as one CP437 character) and a PNG of the receipt.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from .serverproc import free_port

ROOT = Path(__file__).resolve().parent.parent
EMUPOS = Path(os.environ.get("HALLQUEUE_EMUPOS", ROOT / ".venv-emupos" / "bin" / "emupos"))
DEVICE = "front"


def decode_dump(text: str) -> str:
    """The dump's CP437 characters back to bytes, read as GB18030 (what the printer got)."""
    return text.encode("cp437").decode("gb18030")


class Emupos:
    def __init__(self, folder: Path) -> None:
        if not EMUPOS.exists():
            raise RuntimeError(f"{EMUPOS} is missing: run scripts/test, which installs emupos")
        self.folder = folder
        self.tcp_port, api_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{api_port}/api/v1"
        # emupos publishes its pty as $TMPDIR/emupos/<device>: a TMPDIR of our own keeps runs apart.
        (folder / "tmp").mkdir(parents=True, exist_ok=True)
        self.serial_path = folder / "tmp" / "emupos" / DEVICE
        config = {
            "schema": 1,
            "api": {"host": "127.0.0.1", "port": api_port},
            "devices": [
                {
                    "id": DEVICE,
                    "type": "printer",
                    "profile": "epson-tm-t20iii",
                    "connections": [{"tcp": {"host": "127.0.0.1", "port": self.tcp_port}}, {"serial": {"pty": True}}],
                    "receipts_dir": str(folder / "receipts"),
                    "job_idle_timeout_ms": 500,
                }
            ],
        }
        (folder / "emupos.yaml").write_text(json.dumps(config), encoding="utf-8")
        self._log = open(folder / "emupos.log", "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [str(EMUPOS), "run", "--config", str(folder / "emupos.yaml")],
            cwd=folder,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "TMPDIR": str(folder / "tmp")},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((folder / "emupos.log").read_text())
            try:
                self._get("/health")
                if self.serial_path.exists():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError("emupos did not start")

    @property
    def tcp_uri(self) -> str:
        return f"tcp://127.0.0.1:{self.tcp_port}"

    @property
    def serial_uri(self) -> str:
        return f"serial://{self.serial_path}?baudrate=9600"

    def _get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.api + path, timeout=5) as resp:
            return resp.read()

    def fault(self, name: str, on: bool = True) -> None:
        """paper-out, paper-near-end, cover-open or offline."""
        req = urllib.request.Request(f"{self.api}/devices/{DEVICE}/faults/{name}", method="PUT" if on else "DELETE")
        urllib.request.urlopen(req, timeout=5).close()

    def receipt_ids(self) -> list[str]:
        return [r["id"] for r in json.loads(self._get(f"/devices/{DEVICE}/receipts"))]

    def wait_receipt(self, before: list[str], timeout: float = 10.0) -> str:
        """The id of the first receipt that was not in ``before``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = [r for r in self.receipt_ids() if r not in before]
            if new:
                return new[-1]
            time.sleep(0.05)
        raise TimeoutError("no receipt came out")

    def text(self, receipt: str) -> str:
        return self._get(f"/devices/{DEVICE}/receipts/{receipt}/text").decode("utf-8")

    def png(self, receipt: str) -> bytes:
        return self._get(f"/devices/{DEVICE}/receipts/{receipt}/image")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()
