"""The three local processes as one unit: Azurite, the Service Bus emulator and the host running the app.

Used by `run`, the end-to-end tests and the benchmark, so all three start the stack the same way. The host's
settings come through its environment (which beats local.settings.json, as with `func start`), so the
user's file is never rewritten and every instance can have its own ports.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from localdev.stack.azurite import AzuritePorts, AzuriteProcess
from localdev.stack.devhost_process import DevhostProcess
from localdev.stack.emulator import EmulatorProcess, start_emulator
from localdev.stack.ports import Ports
from localdev.stack.processes import ManagedProcess, StackError, free_port
from localdev.stack.storage import bootstrap
from shared.topology import CONFIG_PATH

REPO = Path(__file__).resolve().parents[2]
REFERENCE_TABLE = REPO / "samples" / "reference-table.json"
PORT_ATTEMPTS = 3  # a free port taken by another process between choosing and binding it: choose again


@dataclass(frozen=True)
class StackOptions:
    """How to run the stack; `ports=None` means free ports for everything (tests, benchmarks)."""

    data_dir: Path
    ports: Ports | None = None
    app_dir: Path = REPO
    topology: Path = CONFIG_PATH
    poll_interval: float = 0.5
    host: str = "devhost"
    keep_data: bool = False
    azurite_in_memory: bool = False
    # Durable by default, like Azurite: a killed emulator keeps every message it acknowledged.
    emulator_in_memory: bool = False
    azurite_debug_log: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    workers: int | None = None  # devhost --workers (None: its default), or FUNCTIONS_WORKER_PROCESS_COUNT


class LocalStack:
    """Start, restart and stop the stack; exposes the connection strings the app and the CLIs use."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        ports = options.ports
        self.http_port = ports.http if ports else free_port()
        azurite_ports = AzuritePorts(ports.blob, ports.queue, ports.table) if ports else AzuritePorts.free()
        if not options.keep_data:
            shutil.rmtree(options.data_dir / "azurite", ignore_errors=True)
            shutil.rmtree(self.emulator_data_dir, ignore_errors=True)
        self.azurite = self._azurite(azurite_ports)
        self.emulator: EmulatorProcess | None = None
        self.host: ManagedProcess | DevhostProcess | None = None

    def _azurite(self, ports: AzuritePorts) -> AzuriteProcess:
        options = self.options
        return AzuriteProcess(
            options.data_dir / "azurite",
            ports,
            in_memory=options.azurite_in_memory,
            debug_log=options.azurite_debug_log,
        )

    def _start_azurite(self) -> None:
        def taken(_: StackError) -> bool:
            return not self.azurite.running() and "EADDRINUSE" in self.azurite.tail()

        def choose_again() -> None:
            self.azurite.stop()
            self.azurite = self._azurite(AzuritePorts.free())

        def start() -> None:  # not the bound method: each attempt starts the process `choose_again` made
            self.azurite.start_and_wait()

        self._on_free_ports(start, taken, choose_again)

    def _on_free_ports(self, start: Callable[[], None], taken: Callable[[StackError], bool],
                       choose_again: Callable[[], None]) -> None:
        """Run `start`; if it failed because a port chosen free was taken by another process before it was
        bound (tests and benchmarks start many stacks at once), choose again, up to PORT_ATTEMPTS times.
        A port the user chose is theirs to fix, so its failure is raised at once."""
        for attempt in range(PORT_ATTEMPTS):
            try:
                start()
                return
            except StackError as exc:
                if self.options.ports is not None or not taken(exc) or attempt == PORT_ATTEMPTS - 1:
                    raise
                choose_again()

    @property
    def emulator_data_dir(self) -> Path:
        return self.options.data_dir / "servicebus"

    @property
    def storage(self) -> str:
        return self.azurite.connection_string

    @property
    def service_bus(self) -> str:
        assert self.emulator is not None
        return self.emulator.connection_string

    @property
    def emulator_admin(self) -> str:
        """The emulator's health/admin URL, for `python -m servicebus_emulator.admin --url URL`."""
        assert self.emulator is not None
        return f"http://127.0.0.1:{self.emulator.health_port}"

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def host_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "AzureWebJobsStorage": self.storage,
            "PaymentsStorage": self.storage,
            "ServiceBusConnection": self.service_bus,
            "BLOB_TRIGGER_SOURCE": "LogsAndContainerScan",
            "AzureFunctionsWebHost__hostid": "localdev",
            **self.options.extra_env,
        }

    def start(self) -> None:
        """Start all three; if any fails, stop the ones already started before re-raising."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self._start_azurite()
        self.start_emulator(self.options.ports.servicebus if self.options.ports else 0)
        bootstrap(self.storage, REFERENCE_TABLE)
        self.start_host()

    def start_emulator(self, port: int = 0) -> None:
        """Start the emulator (again, after `stop_emulator`: pass its old port so clients reconnect)."""
        data = None if self.options.emulator_in_memory else self.emulator_data_dir
        admin = self.options.ports.servicebus_admin if self.options.ports else 0
        self.emulator = start_emulator(self.options.topology, self.options.data_dir, port, data_dir=data,
                                       health_port=admin)  # fmt: skip

    def stop_emulator(self, crash: bool = False) -> int:
        """Stop the emulator (SIGKILL with `crash`); returns its port for `start_emulator`."""
        assert self.emulator is not None
        port = self.emulator.port
        self.emulator.kill() if crash else self.emulator.stop()
        self.emulator = None
        return port

    def start_host(self) -> None:
        log = self.options.data_dir / f"{self.options.host}.log"
        if self.options.host == "func":
            env = self.host_env()
            if self.options.workers is not None:
                env["FUNCTIONS_WORKER_PROCESS_COUNT"] = str(self.options.workers)
            self.host = _func_process(self.options.app_dir, env, log, self.http_port)
            return
        def start() -> None:
            host = DevhostProcess(self.options.app_dir, self.host_env(), log, port=self.http_port,
                                  poll_interval=self.options.poll_interval, workers=self.options.workers)
            self.host = host
            host.start_and_wait()

        def choose_again() -> None:
            self.http_port = free_port()

        self._on_free_ports(start, lambda exc: "Address already in use" in str(exc), choose_again)

    def stop_host(self, crash: bool = False) -> None:
        if self.host is not None:
            self.host.kill() if crash else self.host.stop()
            self.host = None

    def stop(self) -> None:
        """Stop in reverse order, each by its own pid."""
        self.stop_host()
        if self.emulator is not None:
            self.emulator.stop()
        self.azurite.stop()

    def pids(self) -> dict[str, int]:
        found = {"azurite": self.azurite.pid}
        if self.emulator is not None:
            found["servicebus-emulator"] = self.emulator.pid
        if self.host is not None:
            found[self.options.host] = self.host.pid
        return found


def _func_process(app_dir: Path, env: dict[str, str], log: Path, port: int) -> ManagedProcess:
    func = shutil.which("func")
    if func is None:
        raise StackError(
            "--host func needs Azure Functions Core Tools (`func`) on PATH; use the default devhost."
        )
    process = ManagedProcess("func start", [func, "start", "--port", str(port)], log, env=env, cwd=app_dir)
    process.start()
    process.wait_for_port(port, timeout=120)
    return process
