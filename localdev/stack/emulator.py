"""The Service Bus emulator for the stack: the emulator package's own `EmulatorProcess`, in its own process
(no shared GIL with the devhost), its log beside the stack's data, a busy port a clear StackError.
"""

from __future__ import annotations

from pathlib import Path

from servicebus_emulator.testing import EmulatorProcess

from localdev.stack.processes import StackError, require_free

__all__ = ["EmulatorProcess", "start_emulator"]


def start_emulator(config: Path, log_dir: Path, port: int = 0, data_dir: Path | None = None,
                   health_port: int = 0) -> EmulatorProcess:  # fmt: skip
    """Start the emulator and return once it reports ready; `data_dir` makes it durable, `health_port` 0
    a free health/admin port (`python -m servicebus_emulator.admin --url ...`)."""
    if port:
        require_free(port, "the Service Bus emulator", "--servicebus-port")
    process = EmulatorProcess(config, data_dir, port=port, health=True, health_port=health_port,
                              log_path=log_dir / "servicebus-emulator.log")  # fmt: skip
    try:
        return process.start(timeout=30.0)
    except RuntimeError as exc:
        raise StackError(f"The Service Bus emulator did not start: {exc}") from None
