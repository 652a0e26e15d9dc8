"""End-to-end benchmark through the whole local stack: Azurite, the emulator, the devhost and function_app.py.

    python -m bench.e2e [--latency-files 30] [--burst-files 200] [--rows 100] [--poll-interval 0.1]

latency     files uploaded one at a time; upload start → the `delivered` event (written right after the
            pain.001 lands in outgoing/), p50 and p95;
throughput  files uploaded at once (16 upload threads); first upload start → last `delivered`, files/s.
Timestamps come from the app's own timeline (same machine clock), so polling does not blur them; the
bench polls terminal.json every --result-poll seconds, sparingly, since its reads load Azurite too.
cpu         CPU ms per burst file in each process of the stack (psutil, the process and its children,
            over the throughput phase): what bounds files/s on a shared 2-core machine, where wall
            clock is noisy.
--count-requests  Azurite writes a request log (costs it CPU: use a separate run for figures); the
            storage requests of the burst phase per file, by who made them and what they touch.
--workers N  the devhost's worker processes (1,2 runs the bench once per count; "devhost by process"
            then splits the devhost's CPU per worker).
--stages    where the burst's files waited, from each file's timeline (read after the CPU is sampled):
            upload → `received` (waiting for a validator), `received` → `validated`, `validated` →
            `adapted`, `adapted` → delivered; p50, p90 and max seconds of each.
Before anything is measured, WARM_UP_PER_WORKER files in each worker's share of the blobs go through at
once, so that every worker process has imported, connected and run each step (with --workers 2, one
warm-up file left the other worker cold: its first file took ~1 s, the latency p95).
Azurite keeps its data in memory (no disk I/O). Loopback only; bounded by file counts and a
deadline; everything stops by pid at the end.
--big SIZES  big-file mode: one file of each size (e.g. 100000,1000000) through a fresh stack, its
            end-to-end time beside the same file's in-process core time, their ratio and each process's
            peak RSS (bench/bigfile.py; --rounds N).
Aims: p50 ≤ 1 s, p95 ≤ 2 s, ≥ 20 files/s; big files e2e ≤ 2x core, devhost RSS at 1M ≤ 2x at 100k.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from azure.storage.blob import BlobServiceClient
from functions_devhost.supervisor import configured_worker_count, in_partition

from localdev.stack.stack import REPO, LocalStack, StackOptions
from samples.generate import DEFAULT_REFERENCE, generate_rows, write_csv
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.clock import clock_from_environment
from shared.domain.reference import parse_reference_table
from shared.handlers.identity import incoming_file_id
from shared.handlers.timeline import read_events, read_terminal
from shared.topology import INCOMING_CONTAINER

SENDER = "acme-payroll"
BENCH_AGENT = "bench-e2e"
# Files at once per worker process to warm it up: each Service Bus step goes to whichever worker asks first,
# so several make it likely that every worker runs every step once (8 files over 2 workers: a step missed
# by a worker with chance 2 / 2**8).
WARM_UP_PER_WORKER = 4


def make_file(rows: int, seed: int) -> bytes:
    policy = parse_reference_table(DEFAULT_REFERENCE.read_bytes()).senders[SENDER]
    out = io.BytesIO()
    # The bank's date as the functions see it (PIPELINE_TODAY when set), so the files are never stale.
    first_date = clock_from_environment(os.environ).today() + timedelta(days=7)
    write_csv(generate_rows(rows, sender=SENDER, policy=policy, first_date=first_date, seed=seed), out)
    return out.getvalue()


class Bench:
    def __init__(self, stack: LocalStack, result_poll: float = 0.25) -> None:
        self.result_poll = result_poll
        self.service = BlobServiceClient.from_connection_string(stack.storage, user_agent=BENCH_AGENT)
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
            time.sleep(self.result_poll)
        raise TimeoutError(f"{file_id} was not delivered before the deadline")


def warm_up_names(workers: int) -> list[str]:
    """WARM_UP_PER_WORKER blob names in each worker's share (the devhost splits the blobs by name)."""
    candidates = [f"{SENDER}/warm-up-{number}.csv" for number in range(1_000)]  # ~100 per share at 10 workers
    names: list[str] = []
    for index in range(workers):
        share = (name for name in candidates if in_partition(INCOMING_CONTAINER, name, index, workers))
        names += itertools.islice(share, WARM_UP_PER_WORKER)
    return names


def warm_up(bench: Bench, rows: int, workers: int, deadline: float) -> None:
    names = warm_up_names(workers)
    with ThreadPoolExecutor(len(names)) as pool:
        uploads = list(pool.map(lambda item: bench.upload(item[1], make_file(rows, 10_000 + item[0])),
                                enumerate(names)))  # fmt: skip
    for file_id, _ in uploads:
        bench.delivered_at(file_id, deadline)


def latency(bench: Bench, files: list[bytes], deadline: float) -> list[float]:
    seconds = []
    for number, data in enumerate(files):
        file_id, started = bench.upload(f"{SENDER}/latency-{number:04d}.csv", data)
        seconds.append((bench.delivered_at(file_id, deadline) - started).total_seconds())
    return seconds


def throughput(bench: Bench, files: list[bytes], deadline: float
               ) -> tuple[float, float, list[tuple[str, datetime]]]:  # fmt: skip
    """(files/s, seconds the uploads took, each file's id and upload start)."""
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
    return len(files) / (last - first).total_seconds(), upload_seconds, uploads


STAGES = (
    ("upload", "received"), ("received", "validated"), ("validated", "adapted"), ("adapted", "delivered"),
)  # fmt: skip


def stage_seconds(moments: list[dict[str, datetime]]) -> dict[str, list[float]]:
    """Per stage (`upload → received`, ...), the seconds each file spent in it, from its moments (the
    upload's start and each timeline event's `occurred_at`); a file without both ends is left out."""
    spent: dict[str, list[float]] = {f"{start} → {end}": [] for start, end in STAGES}
    for seen in moments:
        for start, end in STAGES:
            if start in seen and end in seen:
                spent[f"{start} → {end}"].append((seen[end] - seen[start]).total_seconds())
    return spent


def file_moments(bench: Bench, uploads: list[tuple[str, datetime]]) -> list[dict[str, datetime]]:
    """Each file's upload start and the first time of each of its timeline events (the terminal state's
    included: `delivered`)."""
    moments = []
    for file_id, started in uploads:
        seen = {"upload": started}
        for event in read_events(bench.store, file_id):
            when = datetime.fromisoformat(str(event["occurred_at"]))
            seen.setdefault(str(event["event"]), when)
        moments.append(seen)
    return moments


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU of each process and its children so far (a process gone counts 0)."""
    totals = {}
    for name, pid in pids.items():
        total = 0.0
        try:
            process = psutil.Process(pid)
            for member in [process, *process.children(recursive=True)]:
                times = member.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
        totals[name] = total
    return totals


_REQUEST = re.compile(r"RequestMethod=(\w+) RequestURL=(\S+) RequestHeaders:(\{.*?\}) ClientIP")


def request_kind(method: str, url: str, headers: str) -> str:
    """Who made a storage request and what it touched, e.g. `app PUT workflow/timeline/events`."""
    who = "bench" if BENCH_AGENT in headers else "host" if "devhost" in headers else "app"
    path, _, query = url.partition("?")
    parts = path.split("/", 5)[4:]  # http: / / host:port / account / container / name
    container = parts[0] if parts else ""
    name = parts[1] if len(parts) > 1 else ""
    what = container
    if container == "workflow":
        bits = name.split("/")
        if bits[0] == "timeline":
            leaf = bits[2] if len(bits) > 2 else ""
            what += "/timeline/" + ("events" if leaf == "events" else leaf)
        else:
            what += "/" + bits[0]
    op = method
    if "comp=list" in query or "restype=container" in query:
        op = "LIST" if "comp=list" in query else f"{method}(container)"
    elif method == "PUT" and '"if-none-match":"*"' in headers.lower():
        op = "PUT(if-absent)"
    return f"{who:5s} {op:15s} {what}"


def count_requests(log: Path, start: int, end: int) -> Counter[str]:
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read(end - start).decode("utf-8", "replace")
    return Counter(request_kind(*match.groups()) for match in _REQUEST.finditer(text))


def log_size(log: Path | None) -> int:
    return log.stat().st_size if log is not None and log.exists() else 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def worker_pids(host_pid: int, count: int, timeout: float = 30.0) -> dict[str, int]:
    """With --workers N, the devhost's N worker processes (the supervisor's children), oldest = w0."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = sorted(psutil.Process(host_pid).children(), key=lambda child: child.create_time())
        if len(children) == count:
            return {f"devhost w{index}": child.pid for index, child in enumerate(children)}
        time.sleep(0.1)
    raise RuntimeError(f"the devhost did not start {count} workers")


def run_once(args: argparse.Namespace, workers: int | None, files: list[bytes]) -> None:
    deadline = time.monotonic() + args.timeout
    data_dir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    debug_log = data_dir / "azurite-requests.log" if args.count_requests else None
    stack = LocalStack(
        StackOptions(
            data_dir=data_dir,
            poll_interval=args.poll_interval,
            azurite_in_memory=True,
            azurite_debug_log=debug_log,
            workers=workers,
        )
    )
    per_worker: dict[str, int] = {}
    try:
        stack.start()
        if workers is not None and workers > 1 and stack.host is not None:
            per_worker = worker_pids(stack.host.pid, workers)
        bench = Bench(stack, args.result_poll)
        # Without --workers the devhost runs FUNCTIONS_WORKER_PROCESS_COUNT processes (else 1).
        warm_up(bench, args.rows, workers or configured_worker_count(REPO) or 1, deadline)
        lat = latency(bench, files[: args.latency_files], deadline)
        time.sleep(1.0)  # let the last latency file's clean-up finish before the burst is measured
        pids = stack.pids()
        cpu_before, log_before = cpu_seconds({**pids, **per_worker}), log_size(debug_log)
        rate, upload_seconds, uploads = throughput(bench, files[args.latency_files :], deadline)
        time.sleep(1.0)  # the burst's trailing clean-up (staging deletes, receipts) belongs to it too
        cpu_after, log_after = cpu_seconds({**pids, **per_worker}), log_size(debug_log)
        stages = stage_seconds(file_moments(bench, uploads)) if args.stages else {}
    finally:
        stack.stop()
    if workers is not None:
        print(f"--- devhost --workers {workers}")
    print(
        f"e2e latency ({args.latency_files} files of {args.rows} rows, one at a time, scan every "
        f"{args.poll_interval}s): p50 {statistics.median(lat):.3f}s  p95 {percentile(lat, 0.95):.3f}s  "
        f"max {max(lat):.3f}s"
    )
    print(
        f"e2e throughput ({args.burst_files} files of {args.rows} rows dropped at once, uploads took "
        f"{upload_seconds:.2f}s): {rate:.1f} files/s"
    )
    burst = max(args.burst_files, 1)
    cpu = {name: (cpu_after[name] - cpu_before[name]) * 1000 / burst for name in pids}
    print(
        "cpu per burst file: "
        + "  ".join(f"{name} {ms:.1f}ms" for name, ms in cpu.items())
        + f"  total {sum(cpu.values()):.1f}ms"
    )
    if per_worker:
        split = {name: (cpu_after[name] - cpu_before[name]) * 1000 / burst for name in per_worker}
        print("  devhost by process: " + "  ".join(f"{name} {ms:.1f}ms" for name, ms in split.items()))
    for stage, seconds in stages.items():
        if seconds:
            print(f"  {stage:<22} p50 {statistics.median(seconds):.3f}s  "
                  f"p90 {percentile(seconds, 0.9):.3f}s  max {max(seconds):.3f}s")  # fmt: skip
    if debug_log is not None:
        counts = count_requests(debug_log, log_before, log_after)
        per_file = {kind: n / burst for kind, n in counts.items()}
        mine = sum(n for kind, n in per_file.items() if not kind.startswith("bench"))
        print(f"storage requests per burst file: {mine:.2f} by the stack (+ the bench's own uploads/polls)")
        for kind, n in sorted(per_file.items()):
            print(f"  {n:6.2f}  {kind}")
    print(f"logs: {data_dir}", flush=True)


def _workers(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(not 1 <= count <= 10 for count in counts):
        raise argparse.ArgumentTypeError("expected counts from 1 to 10, e.g. 2 or 1,2")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.split("\n")[0])
    parser.add_argument("--latency-files", type=int, default=30)
    parser.add_argument("--burst-files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument(
        "--poll-interval", type=float, default=0.1, help="devhost blob scan interval, seconds"
    )
    parser.add_argument(
        "--result-poll", type=float, default=0.25, help="how often the bench reads a file's terminal state"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="overall deadline per run, seconds")
    parser.add_argument(
        "--count-requests", action="store_true", help="count storage requests per burst file, by kind"
    )
    parser.add_argument(
        "--stages", action="store_true", help="where the burst's files waited, per stage (their timelines)"
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="devhost --workers; a list such as 1,2 runs the whole bench once per count, a fresh stack each",
    )
    parser.add_argument(
        "--big", metavar="SIZES", help="big-file mode (bench.bigfile): row counts, e.g. 100000,1000000"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --big: rounds per size")
    args = parser.parse_args(argv)
    if args.big:
        from bench import bigfile

        return bigfile.main(["--sizes", args.big, "--rounds", str(args.rounds)])
    files = [make_file(args.rows, seed) for seed in range(args.latency_files + args.burst_files)]
    for workers in args.workers or [None]:
        run_once(args, workers, files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
