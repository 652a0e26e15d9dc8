"""Big files through the whole local stack, side by side with the same file's in-process core time.

    python -m bench.bigfile [--sizes 100000,1000000] [--rounds 1] [--no-warm-up]
    python -m bench.e2e --big 100000,1000000        (the same, from the end-to-end benchmark)

For each size, one generated file of that many payments is dropped into a fresh stack (Azurite in memory,
the emulator durable as `make run` runs it, one devhost process) and followed to `delivered`. First a
warm-up file of 1,000 other payments (another seed, so the pays-once claims do not refuse the big file as
a duplicate) travels the same stack: a running app has served files before, and the first file of a fresh
stack pays about 2 s of Azurite's and the host's warm-up, which is cold start, not moving a file.
`--no-warm-up` measures the big file cold. Printed per size and round:
  e2e       `received` → `delivered` from the app's own timeline, and each step's share
            (received → validated, → adapted, → created, → delivered);
  core      the same file through `bench.core.run_ours` in this process (validate → adapt → write →
            XSD-validate, CPU seconds and wall), i.e. the computation without moving the file; run before
            and after the stack's run and averaged, so that the machine's drift counts on both sides;
  ratio     e2e ÷ core wall (aim ≤ 2);
  peak RSS  of each stack process while the file travels (psutil, sampled every 0.1 s, with children),
            and the devhost's peak at the largest size ÷ at the smallest (aim ≤ 2).
The sender's limits are raised for the run (max_rows, max_file_amount), as bench.core does. Loopback only;
bounded by a deadline per file; everything stops by pid at the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from azure.storage.blob import BlobServiceClient

from bench.core import _reference_json, generate, run_ours
from localdev.stack.stack import LocalStack, StackOptions
from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.identity import incoming_file_id
from shared.handlers.timeline import read_events, read_terminal
from shared.topology import INCOMING_CONTAINER, REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB

SENDER = "acme-payroll"
STEPS = ("received", "validated", "adapted", "delivered")


class PeakRss:
    """The highest resident set size of each process (and its children) while running."""

    def __init__(self, pids: dict[str, int], every: float = 0.1) -> None:
        self.pids, self.every = pids, every
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                try:
                    process = psutil.Process(pid)
                    rss = process.memory_info().rss + sum(
                        child.memory_info().rss for child in process.children(recursive=True)
                    )
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], rss)
            self._stop.wait(self.every)


def _when(event: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(event["occurred_at"]))


def follow(store: AzureBlobStore, file_id: str, deadline: float) -> dict[str, float]:
    """Seconds from `received` to each later step, once the file is delivered."""
    while time.monotonic() < deadline:
        terminal = read_terminal(store, file_id)
        if terminal is not None:
            if terminal["state"] != "delivered":
                raise SystemExit(f"{file_id} ended {terminal['state']}: {json.dumps(terminal)[:300]}")
            events = {str(e["event"]): _when(e) for e in read_events(store, file_id)}
            if "delivered" in events:
                start = events["received"]
                return {step: (events[step] - start).total_seconds() for step in STEPS if step in events}
        time.sleep(0.5)
    raise SystemExit(f"{file_id} was not delivered before the deadline")


WARM_UP_ROWS = 1_000


def drop(service: BlobServiceClient, name: str, path: Path) -> str:
    """Upload `path` as incoming/`name`; the file id the validator gives it."""
    with path.open("rb") as data:
        etag = service.get_blob_client(INCOMING_CONTAINER, name).upload_blob(data, overwrite=True)["etag"]
    return incoming_file_id(name, str(etag))


def run_size(size: int, round_number: int, timeout: float, warm_up: bool = True) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-bigfile-") as folder:  # the files and the stack's data
        return _run_in(Path(folder), size, round_number, timeout, warm_up)


def _run_in(folder: Path, size: int, round_number: int, timeout: float, warm_up: bool) -> dict[str, object]:
    path, warm_path = folder / f"big-{size}.csv", folder / "warm-up.csv"
    generate(path, size)
    generate(warm_path, WARM_UP_ROWS, seed=1)
    run_ours(warm_path)  # the core warmed up too (imports, both XSDs parsed), as the stack is
    core_before = run_ours(path)
    stack = LocalStack(StackOptions(data_dir=folder / "stack", poll_interval=0.2, azurite_in_memory=True,
                                    extra_env={"REFERENCE_CACHE_SECONDS": "0"}))  # fmt: skip
    try:
        stack.start()
        service = BlobServiceClient.from_connection_string(stack.storage)
        service.get_blob_client(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB).upload_blob(
            _reference_json().encode(), overwrite=True)  # the raised limits
        store = AzureBlobStore(service)
        warm_steps = None
        if warm_up:
            warm_id = drop(service, f"{SENDER}/warm-up-{round_number}.csv", warm_path)
            warm_steps = follow(store, warm_id, time.monotonic() + timeout)
        with PeakRss(stack.pids()) as rss:
            file_id = drop(service, f"{SENDER}/big-{size}-{round_number}.csv", path)
            steps = follow(store, file_id, time.monotonic() + timeout)
    finally:
        stack.stop()
    # Measured before and after the stack's run, the machine's drift in between counts for both sides.
    core_after = run_ours(path)
    core: dict[str, Any] = {key: (core_before[key] + core_after[key]) / 2 for key in ("seconds", "wall")}
    core["walls"] = (core_before["wall"], core_after["wall"])
    return {"size": size, "steps": steps, "core": core, "rss": rss.peak, "warm_up": warm_steps}


def report(result: dict[str, object]) -> str:
    steps: dict[str, float] = result["steps"]  # type: ignore[assignment]
    core: dict[str, float] = result["core"]  # type: ignore[assignment]
    rss: dict[str, int] = result["rss"]  # type: ignore[assignment]
    e2e = steps["delivered"]
    shares = "  ".join(f"{b} +{steps[b] - steps[a]:.1f}s" for a, b in itertools.pairwise(STEPS)
                       if a in steps and b in steps)  # fmt: skip
    memory = "  ".join(f"{name} {peak / 2**20:.0f} MB" for name, peak in rss.items())
    warm: dict[str, float] | None = result["warm_up"]  # type: ignore[assignment]
    stack = (f"after a {WARM_UP_ROWS:,}-row warm-up file ({warm['delivered']:.1f}s)" if warm
             else "cold (first file of a fresh stack)")  # fmt: skip
    return (f"{result['size']:>9,} rows, {stack}:\n"
            f"{'':>16}e2e {e2e:.1f}s ({shares}); core {core['wall']:.1f}s wall, the mean of "
            f"{' and '.join(f'{wall:.1f}' for wall in core['walls'])} before and after "
            f"({core['seconds']:.1f}s CPU); e2e ÷ core {e2e / core['wall']:.2f}\n"
            f"{'':>16}peak RSS: {memory}")  # fmt: skip


def memory_growth(peaks: dict[int, int]) -> str:
    """The devhost's peak RSS at the largest size ÷ at the smallest (aim ≤ 2: it streams)."""
    if len(peaks) < 2:
        return "devhost peak RSS growth: needs two sizes (--sizes 100000,1000000)"
    small, large = min(peaks), max(peaks)
    return (f"devhost peak RSS at {large:,} ÷ at {small:,} rows: "
            f"{peaks[large] / max(peaks[small], 1):.2f} (aim ≤ 2)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bigfile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--sizes", default="100000", help="comma-separated payment counts")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per file")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="drop the big file first into the fresh stack (cold)")  # fmt: skip
    args = parser.parse_args(argv)
    devhost_peaks: dict[int, int] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        ratios = []
        for round_number in range(1, args.rounds + 1):
            result = run_size(size, round_number, args.timeout, args.warm_up)
            print(report(result), flush=True)
            steps: dict[str, float] = result["steps"]  # type: ignore[assignment]
            core: dict[str, float] = result["core"]  # type: ignore[assignment]
            rss: dict[str, int] = result["rss"]  # type: ignore[assignment]
            ratios.append(steps["delivered"] / core["wall"])
            devhost_peaks[size] = max(devhost_peaks.get(size, 0), rss.get("devhost", 0))
        if len(ratios) > 1:
            print(f"{size:>9,} rows: e2e ÷ core median {statistics.median(ratios):.2f} "
                  f"(rounds {min(ratios):.2f} to {max(ratios):.2f})")  # fmt: skip
    print(memory_growth(devhost_peaks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
