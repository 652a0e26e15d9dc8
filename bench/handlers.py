"""Each function's CPU for a small file, in process over a real Azurite and the emulator: the app's own share.

    python -m bench.handlers [--files 200] [--rows 100] [--profile validator,creator] [--top 30]

`bench.e2e` measures the whole stack: the host's receiving, settling and invoking, Azurite and the
emulator, with every function on the same two cores. This runs the same handlers the functions call,
in this one process and one after another, over real sockets: the validator on each uploaded file
(`open_incoming` + `validate_opened`, as FileValidator does), then, for each Service Bus entity in
pipeline order, every message the step before published (received in peek-lock with the official SDK,
handed to the handler as a `Delivery`, completed). Only the handler's call is timed (this process's CPU,
`time.process_time`, so the receiving and completing, which are the host's work, are left out), and
Azurite's and the emulator's CPU over the whole run are divided by the files (psutil, by pid; the bench's
own uploads and receives are in those two).

Five warm-up files run first (imports, schwifty's registries, the first SDK connections, the pain.001
check helper's start), so the figures are a warm worker's. For each step named in `--profile`, a cProfile
listing of its calls (by own time, CPU-timed) follows. Loopback only; both servers are stopped by pid.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.servicebus import ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver
from azure.storage.blob import BlobServiceClient

from bench.e2e import SENDER, cpu_seconds, make_file
from localdev.stack.azurite import AzuriteProcess
from localdev.stack.emulator import start_emulator
from localdev.stack.stack import REFERENCE_TABLE
from localdev.stack.storage import bootstrap
from shared.bootstrap import build_services
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.creator import handle_file_adapted
from shared.handlers.inbound import Delivery
from shared.handlers.notifier import handle_ending_notification
from shared.handlers.reporter import handle_file_ended
from shared.handlers.validator import ValidatorOutcome, open_incoming, validate_opened
from shared.services import Services
from shared.settings import Settings
from shared.topology import (
    CONFIG_PATH,
    FILE_ADAPTED_QUEUE,
    FILE_ENDED_TOPIC,
    FILE_VALIDATED_QUEUE,
    HOST_STORAGE_SETTING,
    INCOMING_CONTAINER,
    NOTIFIER_SUBSCRIPTION,
    PAYMENTS_STORAGE_SETTING,
    REPORTER_SUBSCRIPTION,
    SERVICE_BUS_SETTING,
)

WARM_UP_FILES = 5
RECEIVE_WAIT_SECONDS = 10.0  # a message the step before published is there within this, or the run fails

Handler = Callable[[Services, Delivery], Any]
# (step, entity, its subscription or None, the handler), in pipeline order.
STEPS: tuple[tuple[str, str, str | None, Handler], ...] = (
    ("adaptor", FILE_VALIDATED_QUEUE, None, handle_file_validated),
    ("creator", FILE_ADAPTED_QUEUE, None, handle_file_adapted),
    ("reporter", FILE_ENDED_TOPIC, REPORTER_SUBSCRIPTION, handle_file_ended),
    ("notifier", FILE_ENDED_TOPIC, NOTIFIER_SUBSCRIPTION, handle_ending_notification),
)
STEP_NAMES = ("validator", *(step for step, *_ in STEPS))


@dataclass
class Timings:
    """CPU seconds per step, and a CPU-timed profiler for each step asked for."""

    profiled: set[str]
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STEP_NAMES, 0.0))
    profiles: dict[str, cProfile.Profile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.profiles = {step: cProfile.Profile(time.process_time) for step in self.profiled}

    def run(self, step: str, work: Callable[[], Any]) -> Any:
        profiler = self.profiles.get(step)
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        try:
            return work()
        finally:
            if profiler is not None:
                profiler.disable()
            self.seconds[step] += time.process_time() - started


@dataclass(frozen=True)
class Clients:
    """The app's services, and the bench's own clients for uploading files and receiving messages."""

    services: Services
    blobs: BlobServiceClient
    bus: ServiceBusClient


def delivery(message: ServiceBusReceivedMessage, entity: str) -> Delivery:
    """What the function's `delivery_from` makes of the host's message, from the SDK's (whose property
    keys and text values arrive as bytes; the host passes them as strings)."""
    properties = {_text(key): _text(value) for key, value in (message.application_properties or {}).items()}
    enqueued = message.enqueued_time_utc
    return Delivery(body=b"".join(message.body), message_id=message.message_id,
                    correlation_id=message.correlation_id, delivery_count=message.delivery_count or 1,
                    application_properties=properties, entity=entity,
                    enqueued_time=enqueued.isoformat() if enqueued is not None else None)  # fmt: skip


def _text(value: object) -> object:
    return value.decode() if isinstance(value, bytes) else value


def _handle(handler: Handler, services: Services, message: ServiceBusReceivedMessage, entity: str) -> Any:
    return handler(services, delivery(message, entity))


def received(receiver: ServiceBusReceiver, count: int) -> Iterator[ServiceBusReceivedMessage]:
    """`count` messages, as they arrive; a step before that published fewer fails the run."""
    deadline = time.monotonic() + RECEIVE_WAIT_SECONDS
    while count > 0:
        batch = receiver.receive_messages(max_message_count=min(count, 50), max_wait_time=1.0)
        if not batch and time.monotonic() > deadline:
            raise SystemExit(f"{count} message(s) never arrived on {receiver.entity_path}")
        count -= len(batch)
        yield from batch


def one_round(clients: Clients, files: list[bytes], timings: Timings, tag: str) -> None:
    names = [f"{SENDER}/bench-handlers-{tag}-{number:04d}.csv" for number in range(len(files))]
    for name, data in zip(names, files, strict=True):
        clients.blobs.get_blob_client(INCOMING_CONTAINER, name).upload_blob(data)
    for name in names:
        outcome = timings.run("validator", functools.partial(_validate, clients.services, name))
        if outcome.state != "validated":
            raise SystemExit(f"{name} was not validated: {outcome}")
    for step, entity, subscription, handler in STEPS:
        label = f"{entity}/{subscription}" if subscription else entity
        opened = (clients.bus.get_subscription_receiver(entity, subscription) if subscription
                  else clients.bus.get_queue_receiver(entity))  # fmt: skip
        with opened as receiver:
            for message in received(receiver, len(files)):
                timings.run(step, functools.partial(_handle, handler, clients.services, message, label))
                receiver.complete_message(message)


def _validate(services: Services, name: str) -> ValidatorOutcome:
    opened = open_incoming(services, name)
    return opened if isinstance(opened, ValidatorOutcome) else validate_opened(services, opened)


def run(files: int, rows: int, profiled: set[str], top: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        azurite = AzuriteProcess(Path(folder) / "azurite", in_memory=True)
        azurite.start_and_wait()
        emulator = None
        try:
            emulator = start_emulator(CONFIG_PATH, Path(folder))
            bootstrap(azurite.connection_string, REFERENCE_TABLE)
            storage = azurite.connection_string
            env = {**os.environ, PAYMENTS_STORAGE_SETTING: storage, HOST_STORAGE_SETTING: storage,
                   SERVICE_BUS_SETTING: emulator.connection_string}  # fmt: skip
            with ServiceBusClient.from_connection_string(emulator.connection_string) as bus:
                clients = Clients(build_services(Settings.from_env(env)),
                                  BlobServiceClient.from_connection_string(storage), bus)  # fmt: skip
                one_round(clients, [make_file(rows, 100_000 + seed) for seed in range(WARM_UP_FILES)],
                          Timings(set()), "warm")  # fmt: skip
                timings, batch = Timings(profiled), [make_file(rows, seed) for seed in range(files)]
                servers = {"azurite": azurite.pid, "emulator": emulator.pid}
                before = cpu_seconds(servers)
                one_round(clients, batch, timings, "run")
                after = cpu_seconds(servers)
        finally:
            if emulator is not None:
                emulator.stop()
            azurite.stop()
    per_file = {step: seconds * 1000 / files for step, seconds in timings.seconds.items()}
    azurite_cpu, emulator_cpu = (after[name] - before[name] for name in ("azurite", "emulator"))
    print(f"{files} files of {rows} rows, in process; CPU ms per file:")
    print("  " + "  ".join(f"{step} {ms:.2f}" for step, ms in per_file.items())
          + f"  | handlers {sum(per_file.values()):.2f}"
          + f"  | azurite {azurite_cpu * 1000 / files:.2f}  emulator {emulator_cpu * 1000 / files:.2f}")
    for step, profiler in timings.profiles.items():
        print(f"--- {step} (cProfile, CPU-timed, by own time)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.handlers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--profile", default="", help=f"comma-separated steps of {', '.join(STEP_NAMES)}")
    parser.add_argument("--top", type=int, default=30, help="lines of each profile listing")
    args = parser.parse_args(argv)
    profiled = {step for step in args.profile.split(",") if step}
    if unknown := profiled - set(STEP_NAMES):
        parser.error(f"unknown step(s) {', '.join(sorted(unknown))}; choose from {', '.join(STEP_NAMES)}")
    if args.files < 1 or args.rows < 1:
        parser.error("--files and --rows must be at least 1")
    run(args.files, args.rows, profiled, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
