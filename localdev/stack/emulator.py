"""The Service Bus emulator for the stack and the tests, in its own process (no shared GIL with the devhost).

Runs `python -m localdev.servicebus_emulator` on a free-checked port and is ready when that port accepts
connections; stops by pid like every stack process. Output goes to a log file beside the stack's data.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from localdev.stack.processes import ManagedProcess, free_port, require_free

REPO = Path(__file__).resolve().parents[2]


def connection_string(port: int) -> str:
    """The official emulator connection string form (plain AMQP on the given port)."""
    return (
        f"Endpoint=sb://localhost:{port};SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
    )


class EmulatorProcess(ManagedProcess):
    """The emulator with a topology Config.json; `data_dir` makes it durable (messages survive a restart)."""

    def __init__(self, config: Path, log_dir: Path, port: int = 0, data_dir: Path | None = None) -> None:
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
            "--health-port",
            "0",
        ]
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            command += ["--data", str(data_dir)]
        super().__init__("Service Bus emulator", command, log_dir / "servicebus-emulator.log", cwd=REPO)

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    def start_and_wait(self, timeout: float = 30.0) -> None:
        self.start()
        self.wait_for_port(self.port, timeout)


def start_emulator(
    config: Path, log_dir: Path | None = None, port: int = 0, data_dir: Path | None = None
) -> EmulatorProcess:
    """Start the emulator and return once it accepts connections; a busy `port` is a clear StackError."""
    if port:
        require_free(port, "the Service Bus emulator", "--servicebus-port")
    process = EmulatorProcess(
        config, log_dir or Path(tempfile.mkdtemp(prefix="sb-emulator-")), port, data_dir
    )
    process.start_and_wait()
    return process
