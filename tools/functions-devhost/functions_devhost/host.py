"""The devhost itself: settings → index → one listener per function → run until stopped.

This is the composition root; every behaviour lives in `settings`, `indexer`, `invoker` and `triggers/`.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from functions_devhost.connections import Connections
from functions_devhost.errors import DevhostError
from functions_devhost.hostjson import HostOptions, load_host_options
from functions_devhost.indexer import IndexedFunction, index_app
from functions_devhost.invoker import Invoker
from functions_devhost.outputs import OutputSender
from functions_devhost.preflight import preflight
from functions_devhost.settings import apply_to_environ, load_local_settings
from functions_devhost.triggers import Listener
from functions_devhost.triggers.blob import BlobListener
from functions_devhost.triggers.http import HttpServer
from functions_devhost.triggers.service_bus import ServiceBusListener, describe_entity
from functions_devhost.triggers.storage_queue import StorageQueueListener
from functions_devhost.triggers.timer import TimerListener

log = logging.getLogger("devhost.host")


@dataclass(frozen=True)
class HostConfig:
    """How to run: where the app is, where to listen, and how often to poll blob and queue sources."""

    app_dir: Path
    port: int = 7071
    bind: str = "127.0.0.1"
    poll_interval: float = 1.0
    grace_seconds: float = 10.0
    worker_index: int = 0  # with --workers N: this process's index; blobs are partitioned by it
    worker_count: int = 1


def host_id() -> str:
    """The host id used in blob receipts: the configured one, or the machine name as `func start` uses."""
    configured = os.environ.get("AzureFunctionsWebHost__hostid", "")  # noqa: SIM112 (the host's own name)
    raw = configured or socket.gethostname()
    return re.sub(r"[^a-z0-9-]", "", raw.lower())[:32].strip("-") or "devhost"


class DevHost:
    """Loads the app and starts/stops its listeners."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        app_dir = config.app_dir.resolve()
        if not app_dir.is_dir():
            raise DevhostError(f"App folder {app_dir} does not exist.")
        apply_to_environ(load_local_settings(app_dir).values)
        self.options: HostOptions = load_host_options(app_dir)
        self.functions: list[IndexedFunction] = index_app(app_dir)
        preflight(self.functions)
        self.connections = Connections()
        self.invoker = Invoker(
            OutputSender(self.connections, self.options.queues.message_encoding), str(app_dir)
        )
        # With --workers N, only worker 0 serves HTTP (on the configured port).
        self.http: HttpServer | None = (
            HttpServer(
                [f for f in self.functions if f.trigger_type == "httpTrigger"],
                self.invoker,
                config.bind,
                config.port,
                self.options.route_prefix,
            )
            if config.worker_index == 0
            else None
        )
        self.listeners: list[Listener] = [self._listener(f) for f in self.functions]

    def _listener(self, function: IndexedFunction) -> Listener:
        kind, poll = function.trigger_type, self.config.poll_interval
        if kind == "blobTrigger":
            return BlobListener(
                function=function,
                invoker=self.invoker,
                connections=self.connections,
                options=self.options.blobs,
                host_id=host_id(),
                poll_interval=poll,
                partition=(self.config.worker_index, self.config.worker_count),
            )
        if kind == "serviceBusTrigger":
            return ServiceBusListener(
                function, self.invoker, self.connections, self.options.service_bus, poll
            )
        if kind == "queueTrigger":
            return StorageQueueListener(function, self.invoker, self.connections, self.options.queues, poll)
        if kind == "timerTrigger" and self.config.worker_index == 0:
            # The host runs a timer on one instance only (a singleton lock); here that is worker 0.
            return TimerListener(function, self.invoker, self.connections, host_id())
        return _Idle()

    def start(self) -> None:
        for listener in self.listeners:
            listener.start()
        if self.http is None:
            log.info(
                "Worker %d of %d started (blobs partitioned, queues shared, no HTTP)",
                self.config.worker_index,
                self.config.worker_count,
            )
            return
        self.http.start()
        log.info("Functions:\n%s", "\n".join(self._describe(f) for f in self.functions))
        log.info("Host started (devhost, http://%s:%d)", self.config.bind, self.http.port)

    def _describe(self, function: IndexedFunction) -> str:
        trigger = function.trigger
        if function.trigger_type == "httpTrigger" and self.http is not None:
            route = next(r for r in self.http.routes if r.function_name == function.name)
            methods = ",".join(sorted(route.methods)) if route.methods else "ALL"
            return (
                f"\t{function.name}: [{methods}] http://{self.config.bind}:{self.http.port}{route.template}"
            )
        if function.trigger_type == "serviceBusTrigger":
            return f"\t{function.name}: serviceBusTrigger ({describe_entity(trigger)})"
        detail = trigger.get("path") or trigger.get("queueName") or trigger.get("schedule") or ""
        return f"\t{function.name}: {function.trigger_type} ({detail})"

    def stop(self) -> None:
        """Stop taking work, let running invocations finish within the grace period, close clients."""
        log.info("Stopping the host")
        if self.http is not None:
            self.http.stop(self.config.grace_seconds)
        # In parallel: closing a Service Bus link takes the SDK about half a second each.
        with ThreadPoolExecutor(max(len(self.listeners), 1), thread_name_prefix="stop") as pool:
            list(pool.map(lambda listener: listener.stop(self.config.grace_seconds), self.listeners))
        self.invoker.close()
        self.connections.close()
        log.info("Host stopped")


class _Idle:
    """Stands in for a trigger type the devhost does not run (already warned about at indexing)."""

    def start(self) -> None:
        return None

    def stop(self, grace_seconds: float) -> None:
        return None
