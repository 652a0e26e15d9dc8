"""End-to-end benchmark through the whole local stack: Azurite, the emulator, the devhost and function_app.py.

    python -m bench.e2e [--latency-files 30] [--burst-files 200] [--rows 100] [--poll-interval 0.1]

latency     files uploaded one at a time; upload start → the `delivered` event (written right after the
            pain.001 lands in outgoing/), p50 and p95;
throughput  files uploaded at once (16 upload threads); first upload start → last `delivered`, files/s.
Timestamps come from the app's own timeline (same machine clock), so polling does not blur them.
Azurite keeps its data in memory (no disk I/O). Loopback only; bounded by file counts and a
deadline; everything stops by pid at the end.
Aims: p50 ≤ 1 s, p95 ≤ 2 s, ≥ 20 files/s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from localdev.stack.stack import LocalStack, StackOptions
from samples.generate import DEFAULT_REFERENCE, generate_rows, write_csv
from shared.adapters.azure_blob import AzureBlobStore
from shared.domain.reference import parse_reference_table
from shared.handlers.identity import incoming_file_id
from shared.handlers.timeline import read_terminal
from shared.topology import INCOMING_CONTAINER

SENDER = "acme-payroll"


def make_file(rows: int, seed: int) -> bytes:
    policy = parse_reference_table(DEFAULT_REFERENCE.read_bytes()).senders[SENDER]
    out = io.BytesIO()
    write_csv(
        generate_rows(
            rows, sender=SENDER, policy=policy, first_date=date.today() + timedelta(days=7), seed=seed
        ),
        out,
    )
    return out.getvalue()


class Bench:
    def __init__(self, stack: LocalStack) -> None:
        self.service = BlobServiceClient.from_connection_string(stack.storage)
        self.store = AzureBlobStore(self.service)

    def upload(self, name: str, data: bytes) -> tuple[str, datetime]:
        started = datetime.now(UTC)
        result = self.service.get_blob_client(INCOMING_CONTAINER, name).upload_blob(data, overwrite=True)
        return incoming_file_id(name, str(result["etag"])), started

    def delivered_at(self, file_id: str, deadline: float) -> datetime:
        while time.monotonic() < deadline:
            terminal = read_terminal(self.store, file_id)
            if terminal is not None:
                if terminal["state"] != "delivered":
                    raise RuntimeError(f"{file_id} ended {terminal['state']}: {terminal}")
                return datetime.fromisoformat(terminal["occurred_at"])
            time.sleep(0.05)
        raise TimeoutError(f"{file_id} was not delivered before the deadline")


def latency(bench: Bench, files: list[bytes], deadline: float) -> list[float]:
    seconds = []
    for number, data in enumerate(files):
        file_id, started = bench.upload(f"{SENDER}/latency-{number:04d}.csv", data)
        seconds.append((bench.delivered_at(file_id, deadline) - started).total_seconds())
    return seconds


def throughput(bench: Bench, files: list[bytes], deadline: float) -> tuple[float, float]:
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        uploads = list(
            pool.map(
                lambda item: bench.upload(f"{SENDER}/burst-{item[0]:04d}.csv", item[1]), enumerate(files)
            )
        )
    upload_seconds = time.monotonic() - started
    first = min(at for _, at in uploads)
    last = max(bench.delivered_at(file_id, deadline) for file_id, _ in uploads)
    return len(files) / (last - first).total_seconds(), upload_seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--latency-files", type=int, default=30)
    parser.add_argument("--burst-files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument(
        "--poll-interval", type=float, default=0.1, help="devhost blob scan interval, seconds"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="overall deadline, seconds")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    files = [make_file(args.rows, seed) for seed in range(args.latency_files + args.burst_files)]
    data_dir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    stack = LocalStack(
        StackOptions(data_dir=data_dir, poll_interval=args.poll_interval, azurite_in_memory=True)
    )
    try:
        stack.start()
        bench = Bench(stack)
        bench.delivered_at(bench.upload(f"{SENDER}/warmup.csv", make_file(args.rows, 10_000))[0], deadline)
        lat = latency(bench, files[: args.latency_files], deadline)
        rate, upload_seconds = throughput(bench, files[args.latency_files :], deadline)
    finally:
        stack.stop()
    print(
        f"e2e latency ({args.latency_files} files of {args.rows} rows, one at a time, scan every "
        f"{args.poll_interval}s): p50 {statistics.median(lat):.3f}s  p95 {percentile(lat, 0.95):.3f}s  "
        f"max {max(lat):.3f}s"
    )
    print(
        f"e2e throughput ({args.burst_files} files of {args.rows} rows dropped at once, uploads took "
        f"{upload_seconds:.2f}s): {rate:.1f} files/s"
    )
    print(f"logs: {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
