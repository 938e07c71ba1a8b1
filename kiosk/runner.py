"""A background asyncio loop for the kiosk's network and printer work.

Kivy owns the main thread, so the kiosk runs aiohttp (and the printer in its executor) on a
loop in a thread of its own. Results come back to the screens through Kivy's Clock, on the
main thread, as the Kivy docs require for touching widgets.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from kivy.clock import Clock

Done = Callable[[Any, BaseException | None], None]


class AsyncRunner:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="kiosk-network", daemon=True)
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, Any], done: Done | None = None) -> Future:
        """Run ``coro`` on the loop; ``done(result, error)`` is then called on Kivy's thread."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        if done is not None:

            def finished(f: Future) -> None:
                if f.cancelled():
                    return
                error = f.exception()
                result = None if error else f.result()
                Clock.schedule_once(lambda _dt: done(result, error))

            future.add_done_callback(finished)
        return future

    def stop(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
