"""A throwaway Azurite for tests: free loopback ports, in-memory (or a given folder), stopped by its pid.

    azurite = AzuriteProcess().start()
    BlobServiceClient.from_connection_string(azurite.connection_string)
    azurite.stop()

Azurite runs in its own process group, so `stop()` ends node and its children and nothing else.
`--inMemoryPersistence` and `--location` cannot be combined, so a location switches to on-disk data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]
ACCOUNT = "devstoreaccount1"
# Azurite's published well-known development key; not a secret.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class AzuriteError(RuntimeError):
    """Azurite is missing or did not start; the message says what to do."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


class AzuriteProcess:
    """Blob and queue services (plus table) of one Azurite child process."""

    def __init__(self, location: Path | None = None, binary: Path | None = None) -> None:
        self.location = location
        self.binary = binary or REPO / "node_modules" / ".bin" / "azurite"
        self.blob_port, self.queue_port, self.table_port = _free_port(), _free_port(), _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process it logs)

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.blob_port}/{ACCOUNT}"

    @property
    def queue_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.queue_port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};QueueEndpoint={self.queue_endpoint};"
            f"TableEndpoint=http://127.0.0.1:{self.table_port}/{ACCOUNT};"
        )

    def command(self) -> list[str]:
        storage = ["--location", str(self.location)] if self.location else ["--inMemoryPersistence"]
        ports = [
            "--blobPort",
            str(self.blob_port),
            "--queuePort",
            str(self.queue_port),
            "--tablePort",
            str(self.table_port),
        ]
        hosts = ["--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1"]
        return [
            str(self.binary),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            *storage,
            *hosts,
            *ports,
        ]

    def start(self, timeout: float = 60.0) -> AzuriteProcess:
        if not self.binary.exists() or shutil.which("node") is None:
            raise AzuriteError(
                f"Azurite not found at {self.binary} (or node is missing): run "
                f"`npm install --no-audit --no-fund` in {REPO}"
            )
        if self.location:
            self.location.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while not (_port_open(self.blob_port) and _port_open(self.queue_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = self._output()
                self.stop()
                raise AzuriteError(
                    f"Azurite did not start on ports {self.blob_port}/{self.queue_port}: {output}"
                )
            time.sleep(0.05)
        return self

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def _output(self) -> str:
        self._log.seek(0)
        return self._log.read()[-2000:].decode("utf-8", "replace") or "(no output)"

    def __enter__(self) -> AzuriteProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
