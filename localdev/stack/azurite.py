"""Azurite from `node_modules` (pinned in package.json), on chosen loopback ports, with data on disk."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.storage.blob import BlobServiceClient
from functions_devhost.settings import development_storage

from localdev.stack.processes import ManagedProcess, StackError, free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class AzuritePorts:
    blob: int
    queue: int
    table: int

    @classmethod
    def free(cls) -> AzuritePorts:
        return cls(free_port(), free_port(), free_port())


def azurite_binary(repo: Path = REPO) -> Path:
    binary = repo / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        hint = "install Node.js 18+ first, then " if shutil.which("node") is None else ""
        raise StackError(
            f"Azurite is not installed ({binary} is missing): {hint}run "
            f"`npm install --no-audit --no-fund` in {repo}."
        )
    if shutil.which("node") is None:
        raise StackError("Node.js is not on PATH; Azurite needs it. Install Node.js 18+ and retry.")
    return binary


class AzuriteProcess(ManagedProcess):
    """Azurite blob + queue + table on the given ports, keeping its data under `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        ports: AzuritePorts | None = None,
        repo: Path = REPO,
        in_memory: bool = False,
        debug_log: Path | None = None,
    ) -> None:
        self.ports = ports or AzuritePorts.free()
        # In memory (benchmarks) skips the disk; Azurite refuses --location together with it.
        storage = ["--inMemoryPersistence"] if in_memory else ["--location", str(data_dir)]
        # A request-by-request log (benchmarks count storage requests with it); it costs Azurite CPU.
        debug = ["--debug", str(debug_log)] if debug_log is not None else []
        command = [
            str(azurite_binary(repo)),
            "--silent",
            *storage,
            *debug,
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--blobHost",
            "127.0.0.1",
            "--queueHost",
            "127.0.0.1",
            "--tableHost",
            "127.0.0.1",
            "--blobPort",
            str(self.ports.blob),
            "--queuePort",
            str(self.ports.queue),
            "--tablePort",
            str(self.ports.table),
        ]
        data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__("Azurite", command, data_dir / "azurite.log", cwd=data_dir)

    @property
    def connection_string(self) -> str:
        return development_storage(self.ports.blob, self.ports.queue, self.ports.table)

    def start_and_wait(self, timeout: float = 30.0) -> None:
        self.start()
        self.wait_for_port(self.ports.blob, timeout)
        self.wait_for_port(self.ports.queue, timeout)
        self._wait_for_service(timeout)

    def _wait_for_service(self, timeout: float) -> None:
        """An open port could belong to someone else on a shared machine: ask Azurite itself."""
        service = BlobServiceClient.from_connection_string(self.connection_string, retry_total=0)
        deadline = time.monotonic() + timeout
        while True:
            if not self.running():
                raise StackError(
                    f"Azurite exited while starting (a port taken meanwhile?); see {self.log_path}:\n"
                    f"{self.tail()}"
                )
            try:
                service.get_service_properties(timeout=2)
                return
            except (ServiceRequestError, HttpResponseError):
                if time.monotonic() > deadline:
                    raise StackError(
                        f"Azurite does not answer on {self.ports.blob}; see {self.log_path}"
                    ) from None
                time.sleep(0.1)
