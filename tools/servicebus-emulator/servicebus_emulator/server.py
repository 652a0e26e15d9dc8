"""Runs the broker: one loop thread owns all state; other threads reach it through `call`.

`EmulatorServer.start()` listens on a loopback port (0 picks a free one), runs the engine loop in a
thread and returns once the socket accepts connections; `run()` serves in the calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from servicebus_emulator.amqp import Broker
from servicebus_emulator.entities import Namespace
from servicebus_emulator.loop import EngineLoop

log = logging.getLogger("servicebus_emulator.server")
T = TypeVar("T")
TICK_SECONDS = 0.05  # lock expiry, scheduled activation and TTL are checked this often
LISTEN_BACKLOG = 1024  # bursts of clients (tests open 100+ at once) must not overflow the accept queue


class EmulatorServer:
    """The AMQP listener for one namespace."""

    def __init__(
        self,
        namespace: Namespace,
        host: str = "127.0.0.1",
        port: int = 0,
        max_message_size: int | None = None,
    ) -> None:
        self.host = host
        self.broker = Broker(namespace, max_message_size or namespace.max_message_size)
        self.loop = EngineLoop(self.broker)
        # Bind now, so a busy port fails in the caller's thread with a plain OSError.
        self.port = self.loop.listen(host, port, LISTEN_BACKLOG)
        self.loop.schedule(TICK_SECONDS, self._tick)
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    def _tick(self) -> None:
        try:
            self.broker.ns.tick()
            self.broker.flush()
            self.broker.ns.journal.commit()
        finally:
            self.loop.schedule(TICK_SECONDS, self._tick)

    def run(self) -> None:
        """Serve in the calling thread until `stop()`."""
        try:
            self.loop.run()
        finally:
            self._done.set()

    def start(self) -> EmulatorServer:
        """Serve in a daemon thread; the socket already listens, so clients may connect at once."""
        self._thread = threading.Thread(target=self._run_logged, name="servicebus-emulator", daemon=True)
        self._thread.start()
        return self

    def _run_logged(self) -> None:
        try:
            self.run()
        except BaseException:
            log.exception("emulator: loop stopped")

    def call(self, action: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `action` on the loop thread (the only one allowed to touch state); return its result."""
        future: Future[T] = Future()

        def job() -> None:
            try:
                future.set_result(action())
                self.broker.flush()
            except BaseException as exc:  # handed to the calling thread, which re-raises it
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(job)
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            self.loop.close()  # bound but never started: just release the port
            return
        if self._done.is_set():
            return
        try:
            self.call(self._shutdown, timeout)
        except Exception:
            log.debug("emulator: stop call did not complete", exc_info=True)
        self._thread.join(timeout)

    def _shutdown(self) -> None:
        self.loop.stop()
        self.broker.ns.journal.close()
