"""Composition: config + journal + namespace + AMQP server + health port, started and stopped as one.

Both `__main__` and the test helpers build the emulator here, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servicebus_emulator.config import load_namespace
from servicebus_emulator.entities import Clock, Journal, MemoryJournal, SystemClock
from servicebus_emulator.entities.model import DEFAULT_MAX_MESSAGE_SIZE
from servicebus_emulator.health import HealthServer
from servicebus_emulator.server import EmulatorServer


def connection_string(port: int, host: str = "localhost") -> str:
    """The official emulator connection string form, accepted by both the Python and JS SDKs."""
    return (f"Endpoint=sb://{host}:{port};SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;")


@dataclass(frozen=True)
class Options:
    config: Path
    host: str = "127.0.0.1"
    port: int = 0
    health_port: int = 0  # 0 = no health/admin port
    data_dir: Path | None = None  # None = in-memory
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE


class Emulator:
    """A running emulator: `start()`, then `.port`, `.health_port`, `.connection_string`; `stop()`."""

    def __init__(self, options: Options, clock: Clock | None = None) -> None:
        self.options = options
        journal: Journal = MemoryJournal()
        if options.data_dir is not None:
            from servicebus_emulator.entities.sqlite_journal import SqliteJournal

            journal = SqliteJournal(options.data_dir)
        self.namespace = load_namespace(options.config, clock or SystemClock(), journal,
                                        options.max_message_size)
        self.restored = self.namespace.restore()
        self.server = EmulatorServer(self.namespace, options.host, options.port, options.max_message_size)
        self._health: HealthServer | None = None

    def start(self) -> Emulator:
        self.server.start()
        if self.options.health_port != 0:
            self._health = HealthServer(self.server, self.options.host, max(self.options.health_port, 0))
            self._health.start()
        return self

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def health_port(self) -> int:
        return self._health.port if self._health is not None else 0

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    def stop(self) -> None:
        if self._health is not None:
            self._health.stop()
            self._health = None
        self.server.stop()
