"""Benchmark the Service Bus emulator with the real Python SDK; prints a table of figures.

    .venv/bin/python bench/emulator.py [--messages 10000] [--body-bytes 100] [--starts 3] [--durable]

The emulator runs in its own process (`EmulatorProcess`, loopback, free ports). For each phase the
emulator's CPU seconds (psutil, by pid) are divided by this client's CPU seconds: a ratio well under 1
means the SDK, not the emulator, is the bottleneck.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusReceiveMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from localdev.servicebus_emulator.testing import EmulatorProcess

QUEUE = "bench"


def _config(directory: Path) -> Path:
    path = directory / "config.json"
    path.write_text(
        json.dumps(
            {
                "UserConfig": {
                    "Namespaces": [
                        {
                            "Name": "sbemulatorns",
                            "Queues": [
                                {
                                    "Name": QUEUE,
                                    "Properties": {"LockDuration": "PT1M", "MaxDeliveryCount": 10},
                                }
                            ],
                        }
                    ]
                }
            }
        ),
        "utf-8",
    )
    return path


def _measure(emulator: EmulatorProcess, open_link: Callable[[], Any], work: Callable[[Any], int]
             ) -> tuple[float, float]:
    """Time `work` on an already open sender/receiver; return (msg/s, emulator CPU / client CPU).

    Opening a link costs ~0.5 s of the SDK's own polling: that is set-up, not throughput, so it is
    left out of both the clock and the CPU figures.
    """
    server, client = psutil.Process(emulator.pid), psutil.Process()
    with open_link() as link:
        server_before, client_before = sum(server.cpu_times()[:2]), sum(client.cpu_times()[:2])
        started = time.perf_counter()
        count = work(link)
        elapsed = time.perf_counter() - started
        server_cpu = sum(server.cpu_times()[:2]) - server_before
        client_cpu = sum(client.cpu_times()[:2]) - client_before
    return count / elapsed, server_cpu / max(client_cpu, 1e-9)


def _send(sender: Any, total: int, body: str) -> int:
    sent = 0
    while sent < total:
        batch = sender.create_message_batch()
        while sent < total:
            try:
                batch.add_message(ServiceBusMessage(body))
            except ValueError:
                break  # batch full
            sent += 1
        sender.send_messages(batch)
    return sent


def _receive(receiver: Any, total: int, peek_lock: bool) -> int:
    got = 0
    while got < total:
        batch = receiver.receive_messages(max_message_count=300, max_wait_time=5)
        if not batch:
            raise RuntimeError(f"only {got} of {total} messages arrived")
        for message in batch:
            if peek_lock:
                receiver.complete_message(message)
        got += len(batch)
    return got


def _startup(config: Path, starts: int) -> float:
    times = []
    for _ in range(starts):
        emulator = EmulatorProcess(config, health=False).start()
        times.append(emulator.ready_seconds)
        emulator.stop()
    return statistics.median(times)


def _phases(config: Path, data_dir: Path | None, messages: int, body: str) -> list[tuple[str, str, str]]:
    mode = " [durable]" if data_dir is not None else ""
    rows: list[tuple[str, str, str]] = []
    with (
        EmulatorProcess(config, data_dir=data_dir, health=False) as emulator,
        ServiceBusClient.from_connection_string(emulator.connection_string) as client,
    ):
        def sender() -> Any:
            return client.get_queue_sender(QUEUE)

        def receiver(mode: ServiceBusReceiveMode) -> Callable[[], Any]:
            return lambda: client.get_queue_receiver(QUEUE, receive_mode=mode, prefetch_count=300)

        phases: list[tuple[str, Callable[[], Any], Callable[[Any], int]]] = [
            ("batched send", sender, lambda s: _send(s, messages, body)),
            ("peek-lock receive + complete (prefetch 300)", receiver(ServiceBusReceiveMode.PEEK_LOCK),
             lambda r: _receive(r, messages, True)),
            ("batched send (refill)", sender, lambda s: _send(s, messages, body)),
            ("receive-and-delete (prefetch 300)", receiver(ServiceBusReceiveMode.RECEIVE_AND_DELETE),
             lambda r: _receive(r, messages, False)),
        ]
        for label, open_link, work in phases:
            rate, ratio = _measure(emulator, open_link, work)
            rows.append((label + mode, f"{rate:,.0f} msg/s", f"{ratio:.2f}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--body-bytes", type=int, default=100)
    parser.add_argument("--starts", type=int, default=3, help="process starts to time (median)")
    parser.add_argument("--durable", action="store_true", help="also run every phase in durable mode")
    args = parser.parse_args()
    body = "x" * args.body_bytes
    with tempfile.TemporaryDirectory() as folder:
        config = _config(Path(folder))
        ready = _startup(config, args.starts)
        rows = [("start-to-ready (process spawn → ready line)", f"{ready:.3f} s", "-")]
        rows += _phases(config, None, args.messages, body)
        if args.durable:
            rows += _phases(config, Path(folder) / "data", args.messages, body)
    print(f"\nService Bus emulator, {args.messages} messages of {args.body_bytes} bytes, sync Python SDK, "
          f"loopback, emulator in its own process\n")
    print(f"{'operation':<56} {'result':>14} {'emulator CPU / client CPU':>27}")
    print("-" * 99)
    for label, value, ratio in rows:
        print(f"{label:<56} {value:>14} {ratio:>27}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
