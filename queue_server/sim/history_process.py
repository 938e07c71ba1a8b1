"""History written by a second process, while this one goes on simulating: a year takes the
longer of the two jobs instead of their sum (the store's rows and JSON are about a third of it).

``HistoryProcess`` is what ``hallqueue simulate --write-history`` uses; it takes the journals
as ``HistoryWriter.add`` does and hands them, merged into batches (a business day, at most
``BATCH_EVENTS`` events), to a ``HistoryWriter`` in a child process. Each batch is pickled here,
at once: the simulation goes on changing the tickets it holds, and the child writes the batch
as it stood. At most ``QUEUED_BATCHES`` wait for the child, so memory stays bounded when the
disk is the slower part.

A failure in the child (a full disk) is reported by the next ``add`` or by ``close`` as a
``HistoryError`` naming the cause; the child then removes its incomplete file, as the writer does.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import signal
from pathlib import Path

from queue_server.core.journal import Journal
from queue_server.sim.history import Batches, HistoryError, HistoryWriter

QUEUED_BATCHES = 3
_STARTUP_S = 60.0  # the child imports the store and opens the file: seconds, even on a slow disk


def _child(path: str, batches, replies) -> None:
    """The writing process: open the file, write each batch, close; report how it went."""
    # Ctrl-C reaches the whole process group: the parent decides (it hands over what it has and
    # asks for the close), so a batch is never cut off halfway in a file SQLite does not sync.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        writer = HistoryWriter.create(path)
    except Exception as exc:
        replies.put(("error", str(exc)))
        return
    replies.put(("ready", ""))
    try:
        while (batch := batches.get()) is not None:
            writer.add(pickle.loads(batch))
            writer.flush()  # each batch is a transaction, as the parent cut it
    except Exception as exc:
        writer.discard()
        replies.put(("error", f"could not write {path}: {exc}"))
        return
    writer.close()
    replies.put(("closed", ""))


class HistoryProcess(Batches):
    """``HistoryWriter``'s interface (``add``, ``close``, ``tickets``, ``events``, ``path``),
    with the writing done by a child process. A day that is not in the past is refused and the
    file removed, as ``HistoryWriter`` does."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copied locks
        self._batches = context.Queue(maxsize=QUEUED_BATCHES)
        self._replies = context.Queue()
        self._process = context.Process(
            target=_child, args=(str(path), self._batches, self._replies), name="hallqueue-history", daemon=True
        )
        self._closed = False

    @classmethod
    def create(cls, path: str | Path) -> HistoryProcess:
        """A writer on a new database at ``path``, as ``HistoryWriter.create`` (the same checks,
        the same errors), its child started and the file opened."""
        writer = cls(Path(path))
        writer._process.start()
        kind, message = writer._reply(_STARTUP_S)
        if kind != "ready":
            writer._process.join()
            raise HistoryError(message)
        return writer

    def close(self) -> None:
        """Hand over the rest, wait for the child to write it and close the file. Raises
        ``HistoryError`` when the child failed."""
        if self._closed:
            return
        self._closed = True
        try:
            self._hand_off()
            self._put(None)
            kind, message = self._reply(None)
        finally:
            self._process.join()
        if kind != "closed":
            raise HistoryError(message)

    def _refused(self) -> None:
        """Stop the child at once and remove its file: nothing of it is to be kept."""
        self._closed = True
        self._process.terminate()
        self._process.join()
        for leftover in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"), Path(f"{self.path}-journal")):
            leftover.unlink(missing_ok=True)

    def _hand_off(self) -> None:
        if self._pending:
            self._put(pickle.dumps(self._pending, pickle.HIGHEST_PROTOCOL))
        self._pending = Journal()

    def _put(self, batch: bytes | None) -> None:
        """Queue a batch; while the queue is full, watch for the child having failed."""
        while True:
            self._raise_if_failed()
            try:
                self._batches.put(batch, timeout=1.0)
                return
            except queue.Full:
                continue

    def _raise_if_failed(self) -> None:
        try:
            kind, message = self._replies.get_nowait()
        except queue.Empty:
            if not self._process.is_alive():
                raise HistoryError(f"the process writing {self.path} ended unexpectedly") from None
            return
        self._closed = True
        self._process.join()
        raise HistoryError(message)

    def _reply(self, timeout: float | None) -> tuple[str, str]:
        """The child's next word; a child gone without one is an error too."""
        while True:
            try:
                return self._replies.get(timeout=1.0 if timeout is None else min(timeout, 1.0))
            except queue.Empty:
                if not self._process.is_alive():
                    return "error", f"the process writing {self.path} ended unexpectedly"
                if timeout is not None:
                    timeout -= 1.0
                    if timeout <= 0:
                        return "error", f"the process writing {self.path} did not start"
