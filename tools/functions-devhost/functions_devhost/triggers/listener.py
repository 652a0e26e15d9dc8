"""The lifecycle every polling trigger shares: one driving thread, a pool of invocations, a stop event.

A listener starts its thread on `start()` (after `_prepare()`, e.g. creating its queues) and, on
`stop(grace)`, sets the stop event, gives the thread the grace period to settle what is running, then shuts
its pool down. Subclasses write only `_run()`, the loop that watches `_stopping`.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from functions_devhost.indexer import IndexedFunction
from functions_devhost.invoker import Invoker


class PollingListener:
    """Drives one function from a thread named `<thread_prefix>-<function>` with `workers` at once."""

    thread_prefix = "listen"
    # Whether stop() waits for running invocations after the grace period (a Service Bus receiver does
    # not: its unsettled messages are released when its link closes).
    wait_for_pool = True

    def __init__(self, function: IndexedFunction, invoker: Invoker, poll_interval: float,
                 workers: int, pool_prefix: str) -> None:
        self._function = function
        self._invoker = invoker
        self._poll = poll_interval
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=pool_prefix)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{self.thread_prefix}-{function.name}",
                                        daemon=True)

    def start(self) -> None:
        self._prepare()
        self._thread.start()

    def stop(self, grace_seconds: float) -> None:
        self._stopping.set()
        self._thread.join(timeout=grace_seconds)
        self._pool.shutdown(wait=self.wait_for_pool, cancel_futures=True)

    def _prepare(self) -> None:
        """What must exist before the first poll; nothing by default."""

    def _run(self) -> None:
        raise NotImplementedError
