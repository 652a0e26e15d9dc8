"""Benchmark the Service Bus emulator with the real Python SDK; prints a table of figures.

    .venv/bin/python bench/emulator.py [--messages 10000] [--body-bytes 100] [--starts 3] [--rounds 3]
                                       [--durable]

The emulator runs in its own process (`EmulatorProcess`, loopback, free ports). For each phase the
emulator's CPU seconds (user + system, all threads, psutil by pid) are divided by this client's CPU
seconds (user + system, all threads), both sampled right before and right after the phase's work on an
already open link: link attach/detach (~0.5 s of the SDK's own polling) is left out of both. A ratio
well under 1 means the SDK, not the emulator, is the bottleneck. A warm-up (send + receive of
--warmup messages, not measured) runs first on each emulator; each phase runs --rounds times and the
table shows the median with the range.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusReceiveMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servicebus_emulator.testing import EmulatorProcess

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


@dataclass
class Sample:
    rate: float  # messages per second (wall clock)
    server_cpu: float  # emulator CPU seconds
    client_cpu: float  # client CPU seconds
    count: int

    @property
    def ratio(self) -> float:
        return self.server_cpu / max(self.client_cpu, 1e-9)


def _cpu(process: Any) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _measure(emulator: EmulatorProcess, open_link: Callable[[], Any], work: Callable[[Any], int]) -> Sample:
    """Time `work` on an already open sender/receiver: wall clock, emulator CPU and client CPU.

    Opening a link costs ~0.5 s of the SDK's own polling: that is set-up, not throughput, so it is
    left out of both the clock and the CPU figures.
    """
    server, client = psutil.Process(emulator.pid), psutil.Process()
    with open_link() as link:
        server_before, client_before = _cpu(server), _cpu(client)
        started = time.perf_counter()
        count = work(link)
        elapsed = time.perf_counter() - started
        server_cpu = _cpu(server) - server_before
        client_cpu = _cpu(client) - client_before
    return Sample(count / elapsed, server_cpu, client_cpu, count)


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


def _phases(config: Path, data_dir: Path | None, messages: int, body: str, *, rounds: int,
            warmup: int) -> list[tuple[str, list[Sample]]]:
    mode = " [durable]" if data_dir is not None else ""
    results: dict[str, list[Sample]] = {}
    with (
        EmulatorProcess(config, data_dir=data_dir, health=False) as emulator,
        ServiceBusClient.from_connection_string(emulator.connection_string) as client,
    ):
        def sender() -> Any:
            return client.get_queue_sender(QUEUE)

        def receiver(mode: ServiceBusReceiveMode) -> Callable[[], Any]:
            return lambda: client.get_queue_receiver(QUEUE, receive_mode=mode, prefetch_count=300)

        if warmup:
            with sender() as link:
                _send(link, warmup, body)
            with receiver(ServiceBusReceiveMode.PEEK_LOCK)() as link:
                _receive(link, warmup, True)
        phases: list[tuple[str, Callable[[], Any], Callable[[Any], int]]] = [
            ("batched send", sender, lambda s: _send(s, messages, body)),
            ("peek-lock receive + complete (prefetch 300)", receiver(ServiceBusReceiveMode.PEEK_LOCK),
             lambda r: _receive(r, messages, True)),
            ("batched send (refill)", sender, lambda s: _send(s, messages, body)),
            ("receive-and-delete (prefetch 300)", receiver(ServiceBusReceiveMode.RECEIVE_AND_DELETE),
             lambda r: _receive(r, messages, False)),
        ]
        for _ in range(rounds):
            for label, open_link, work in phases:
                results.setdefault(label + mode, []).append(_measure(emulator, open_link, work))
    return list(results.items())


def _spread(values: list[float], form: str) -> str:
    middle = form.format(statistics.median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({form.format(min(values))}..{form.format(max(values))})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--body-bytes", type=int, default=100)
    parser.add_argument("--starts", type=int, default=3, help="process starts to time (median)")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each phase (median, range)")
    parser.add_argument("--warmup", type=int, default=1000,
                        help="messages sent and received, unmeasured, before the phases")
    parser.add_argument("--durable", action="store_true", help="also run every phase in durable mode")
    args = parser.parse_args()
    body = "x" * args.body_bytes
    with tempfile.TemporaryDirectory() as folder:
        config = _config(Path(folder))
        ready = _startup(config, args.starts)
        rows = _phases(config, None, args.messages, body, rounds=args.rounds, warmup=args.warmup)
        if args.durable:
            rows += _phases(config, Path(folder) / "data", args.messages, body, rounds=args.rounds,
                            warmup=args.warmup)
    print(f"\nService Bus emulator, {args.messages} messages of {args.body_bytes} bytes, sync Python SDK, "
          f"loopback, emulator in its own process; median (min..max) of {args.rounds} round(s)\n"
          f"CPU = user + system seconds over the phase's work only (open link; attach/detach excluded)\n")
    header = (f"{'operation':<56} {'msg/s':>22} {'emulator µs/msg':>17} {'client µs/msg':>15} "
              f"{'emulator CPU / client CPU':>28}")
    print(header)
    print("-" * len(header))
    print(f"{'start-to-ready (process spawn → ready line)':<56} {f'{ready:.3f} s':>22} {'-':>17} {'-':>15} "
          f"{'-':>28}")
    for label, samples in rows:
        rate = _spread([s.rate for s in samples], "{:,.0f}")
        server = _spread([s.server_cpu / s.count * 1e6 for s in samples], "{:.0f}")
        client = _spread([s.client_cpu / s.count * 1e6 for s in samples], "{:.0f}")
        ratio = _spread([s.ratio for s in samples], "{:.2f}")
        print(f"{label:<56} {rate:>22} {server:>17} {client:>15} {ratio:>28}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
