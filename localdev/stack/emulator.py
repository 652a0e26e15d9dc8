"""The Service Bus emulator for the stack and the tests: its own process when it has a CLI, else in-process.

Its own process is preferred: the broker then does not share a GIL with the devhost. The in-process
fallback (a reactor thread in this process) keeps tests runnable while the CLI does not exist yet.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Protocol

from localdev.stack.processes import ManagedProcess, free_port

REPO = Path(__file__).resolve().parents[2]


def connection_string(port: int) -> str:
    """The official emulator connection string form (plain AMQP on the given port)."""
    return (
        f"Endpoint=sb://localhost:{port};SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
    )


class EmulatorHandle(Protocol):
    """What callers need from a running emulator."""

    @property
    def connection_string(self) -> str: ...

    @property
    def port(self) -> int: ...

    def stop(self) -> None: ...


class EmulatorProcess(ManagedProcess):
    """`python -m localdev.servicebus_emulator` on a chosen port, with its topology Config.json."""

    def __init__(self, config: Path, data_dir: Path, port: int | None = None, persist: bool = False) -> None:
        self.port = port or free_port()
        command = [
            sys.executable,
            "-m",
            "localdev.servicebus_emulator",
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if persist:
            command += ["--data-dir", str(data_dir / "servicebus")]
        data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__("Service Bus emulator", command, data_dir / "servicebus-emulator.log", cwd=REPO)

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    def start_and_wait(self, timeout: float = 30.0) -> None:
        self.start()
        self.wait_for_port(self.port, timeout)

    def stop(self, grace: float = 10.0, sig: int | None = None) -> None:
        super().stop(grace) if sig is None else super().stop(grace, sig)


class _InProcess:
    """The emulator's own composition root, run on a reactor thread in this process."""

    def __init__(self, config: Path, port: int | None) -> None:
        from localdev.servicebus_emulator.app import Emulator, Options

        self._emulator = Emulator(Options(config=config, port=port or 0)).start()

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    @property
    def port(self) -> int:
        return int(self._emulator.port)

    def stop(self) -> None:
        self._emulator.stop()


def has_cli() -> bool:
    return importlib.util.find_spec("localdev.servicebus_emulator.__main__") is not None


def start_emulator(
    config: Path, data_dir: Path, port: int | None = None, persist: bool = False
) -> EmulatorHandle:
    """Start the emulator with `config` and return once it accepts connections."""
    if has_cli():
        process = EmulatorProcess(config, data_dir, port, persist)
        process.start_and_wait()
        return process
    return _InProcess(config, port)
