"""Runs the broker: one proton reactor thread owns all state; other threads reach it through `call`.

`EmulatorServer.start()` listens on a loopback port (0 picks a free one), starts the reactor in a thread
and returns once the socket accepts connections; `run()` does the same in the calling thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from proton import Handler
from proton.reactor import ApplicationEvent, Container, EventInjector

from localdev.servicebus_emulator.amqp import Broker
from localdev.servicebus_emulator.entities import Namespace

log = logging.getLogger("servicebus_emulator.server")
T = TypeVar("T")
TICK_SECONDS = 0.05
LISTEN_BACKLOG = 1024


class _Runtime(Handler):
    """Reactor-level events: the periodic clock tick and calls injected from other threads."""

    def __init__(self, server: EmulatorServer) -> None:
        super().__init__()
        self.server = server

    def on_reactor_init(self, event: Any) -> None:
        self.server._on_reactor_init(event.container)

    def on_timer_task(self, event: Any) -> None:
        try:
            self.server.broker.ns.tick()
            self.server.broker.flush()
            self.server.broker.ns.journal.commit()
        except Exception:
            log.exception("emulator: tick failed")
        event.container.schedule(TICK_SECONDS, self)

    def on_emulator_call(self, event: Any) -> None:
        job: tuple[Callable[[], Any], Future[Any]] = event.subject
        action, future = job
        try:
            future.set_result(action())
            self.server.broker.flush()
        except BaseException as exc:  # handed to the calling thread, which re-raises it
            future.set_exception(exc)


class EmulatorServer:
    """The AMQP listener for one namespace."""

    def __init__(self, namespace: Namespace, host: str = "127.0.0.1", port: int = 0,
                 max_message_size: int | None = None) -> None:
        self.host = host
        self.port = port
        self.broker = Broker(namespace, max_message_size or namespace.max_message_size)
        self._runtime = _Runtime(self)
        self._container = Container(self.broker, self._runtime)
        self._injector = EventInjector()
        self._container.selectable(self._injector)
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._acceptor: Any = None

    def _on_reactor_init(self, container: Container) -> None:
        try:
            self._acceptor = container.acceptor(self.host, self.port)  # type: ignore[arg-type]
            sock = self._acceptor._selectable._delegate
            sock.listen(LISTEN_BACKLOG)  # proton listens with a backlog of 10; bursts of clients overflow it
            self.port = int(sock.getsockname()[1])
            container.schedule(TICK_SECONDS, self._runtime)
        except BaseException as exc:
            self._error = exc
            container.stop()
        finally:
            self._ready.set()

    def run(self) -> None:
        """Serve in the calling thread until `stop()`."""
        try:
            self._container.run()
        except BaseException as exc:
            self._error = self._error or exc
            raise
        finally:
            self._ready.set()

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Serve in a daemon thread; returns once listening, or raises what stopped it."""
        self._thread = threading.Thread(target=self._run_quietly, name="servicebus-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"the emulator did not start listening within {timeout} s")
        if self._error is not None:
            raise self._error
        return self

    def _run_quietly(self) -> None:
        try:
            self.run()
        except BaseException:
            log.exception("emulator: reactor stopped")

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout) and self._error is None

    def call(self, action: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `action` on the reactor thread (the only one allowed to touch state); return its result."""
        future: Future[T] = Future()
        self._injector.trigger(ApplicationEvent("emulator_call", subject=(action, future)))
        return future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None and not self._thread.is_alive():
            return
        try:
            self.call(self._shutdown, timeout)
        except Exception:
            log.debug("emulator: stop call did not complete", exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout)

    def _shutdown(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
        self._injector.close()
        self._container.stop()
        self.broker.ns.journal.close()
