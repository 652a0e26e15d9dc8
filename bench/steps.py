"""Each step's cost for one big file, in-process over a real Azurite: where moving the file spends its time.

    python -m bench.steps [--rows 100000] [--profile validator,adaptor,creator] [--top 35]

One generated file (duplicate_window_days = 0 unless --window: the payment claims out of the picture)
goes through the real handlers in this process: `handle_incoming_file`, then `handle_file_validated` on
the message it published, then `handle_file_adapted` on the next one, with the real `AzureBlobStore`
over Azurite (in memory); the publisher only keeps the messages. Printed per step: wall seconds, this
process's CPU seconds, the pain.001 check helper's and Azurite's CPU seconds (psutil; the creator checks
a big file's pain.001 in a helper process as the app does, unless --check-in-process), the wall
seconds the step's own thread spent inside blob writes (`write`, and a staged writer's `write`/`commit`)
and inside reads of blob streams (waiting for Azurite plus the SDK's own work), and this process's peak
RSS during the step (sampled every 10 ms; the CSV itself is dropped once uploaded). For each step named in
`--profile`, a cProfile listing (cumulative) follows; it runs under the profiler (slower: compare the
un-profiled figures between versions). The sha256 of the pain.001 is a sanity check, not comparable
between runs (the file id comes from the upload's ETag). Loopback only; Azurite is stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import psutil

from bench.claims import SENDER, make_file, reference
from localdev.stack.azurite import AzuriteProcess
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.azure_table import AzureTablePaymentIndex
from shared.adapters.connections import blob_service_client, table_service_client
from shared.adapters.schema_check_process import HelperProcessChecks
from shared.domain.pain001 import InProcessChecks
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.creator import handle_file_adapted, output_name
from shared.handlers.faults import FaultPlan
from shared.handlers.inbound import Delivery
from shared.handlers.reference_loader import CachedReferenceTable
from shared.handlers.validator import handle_incoming_file
from shared.ports import BlobStore, OutgoingMessage, StreamedBlob
from shared.services import Services
from shared.streams import sha256_of
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    OUTGOING_CONTAINER,
    REFERENCE_CONTAINER,
    REFERENCE_TABLE_BLOB,
)

if TYPE_CHECKING:  # only named: the script also runs over trees from before BlobWriter, for A/B runs
    from shared.ports import BlobWriter


class _TimedBlobs:
    """The real store, with the wall seconds spent inside `write` and inside reads of opened streams
    (waiting for Azurite and the SDK's own work), so each step's transfer time shows beside its total."""

    def __init__(self, inner: AzureBlobStore) -> None:
        self.inner, self.writing, self.reading = inner, 0.0, 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def write(self, container: str, name: str, data: Any, *, overwrite: bool = True,
              if_match: str | None = None) -> str:
        start = time.perf_counter()
        try:
            return self.inner.write(container, name, data, overwrite=overwrite, if_match=if_match)
        finally:
            self.writing += time.perf_counter() - start

    def open_writer(self, container: str, name: str) -> BlobWriter:
        return _TimedWriter(self.inner.open_writer(container, name), self)

    def open_reader(self, container: str, name: str) -> StreamedBlob:
        opened = self.inner.open_reader(container, name)
        return StreamedBlob(cast(BinaryIO, _TimedStream(opened.stream, self)), opened.etag, opened.size)


class _TimedWriter:
    def __init__(self, inner: BlobWriter, owner: _TimedBlobs) -> None:
        self._inner, self._owner = inner, owner

    def _time(self, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return work()
        finally:
            self._owner.writing += time.perf_counter() - start

    def write(self, data: bytes) -> None:
        self._time(lambda: self._inner.write(data))

    def commit(self) -> str:
        return str(self._time(self._inner.commit))

    def abort(self) -> None:
        self._inner.abort()


class _TimedStream(io.RawIOBase):
    def __init__(self, inner: BinaryIO, owner: _TimedBlobs) -> None:
        self._inner, self._owner = inner, owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        start = time.perf_counter()
        data = self._inner.read(len(buffer))
        self._owner.reading += time.perf_counter() - start
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


class _KeepingPublisher:
    def __init__(self) -> None:
        self.sent: dict[str, OutgoingMessage] = {}

    def publish(self, entity: str, message: OutgoingMessage) -> None:
        self.sent[entity] = message

    def ready(self) -> None:
        return None


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class _PeakRss:
    """This process's highest resident set size while the block runs, sampled every 10 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._process = psutil.Process()
        self.start = self._process.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self._process.memory_info().rss)
            if self._done.wait(0.01):
                return

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def _delivery(message: OutgoingMessage) -> Delivery:
    return Delivery(body=message.body, message_id=message.message_id, correlation_id=message.correlation_id)


def _timed(name: str, work: Callable[[], Any], azurite: psutil.Process, blobs: _TimedBlobs, *,
           profile: bool, top: int) -> Any:
    profiler = cProfile.Profile() if profile else None
    before, helpers_before = azurite.cpu_times(), _children_cpu()
    blobs.writing = blobs.reading = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    with _PeakRss() as rss:
        outcome = work()
    if profiler is not None:
        profiler.disable()
    start, peak = rss.start / 2**20, rss.peak / 2**20
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = azurite.cpu_times()
    azurite_cpu = (after.user + after.system) - (before.user + before.system)
    helper_cpu = _children_cpu() - helpers_before
    print(f"{name:<10} wall {wall:6.2f}s  cpu {cpu:6.2f}s  helper cpu {helper_cpu:5.2f}s  "
          f"azurite cpu {azurite_cpu:5.2f}s  "
          f"in writes {blobs.writing:5.2f}s  in reads {blobs.reading:5.2f}s  "
          f"RSS {start:4.0f} -> peak {peak:4.0f} MB  "
          f"-> {outcome.state}",
          flush=True)  # fmt: skip
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    return outcome


def _children_cpu() -> float:
    """CPU seconds of this process's children but Azurite (the pain.001 check helper)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if HelperProcessChecks.__module__ in child.cmdline():  # `python -m <that module>`
                times = child.cpu_times()
                total += times.user + times.system
    return total


def run(rows: int, profiled: set[str], top: int, window: int = 0, in_process: bool = False) -> None:
    data = make_file(rows, seed=3)
    print(f"{rows:,} rows, {len(data) / 2**20:.1f} MB CSV; load average {psutil.getloadavg()}")
    with tempfile.TemporaryDirectory() as folder:
        azurite = AzuriteProcess(Path(folder), in_memory=True)
        azurite.start_and_wait()
        try:
            env = {"PaymentsStorage": azurite.connection_string}
            blobs = _TimedBlobs(AzureBlobStore(blob_service_client("PaymentsStorage", env)))
            clock, publisher = _Clock(), _KeepingPublisher()
            checks = InProcessChecks() if in_process else HelperProcessChecks()  # the app's: the helper
            services = Services(blobs=cast(BlobStore, blobs), publisher=publisher, clock=clock,
                                reference=CachedReferenceTable(blobs, clock, 0),
                                payments=AzureTablePaymentIndex(table_service_client("PaymentsStorage", env)),
                                faults=FaultPlan(), schema_checks=checks)  # fmt: skip
            blobs.write(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB, reference(window))
            name = f"{SENDER}/big.csv"
            etag = blobs.write(INCOMING_CONTAINER, name, data)
            del data  # uploaded: the peak RSS after each step is then the handlers' own
            node = psutil.Process(azurite.pid)
            sent = publisher.sent
            steps: list[tuple[str, Callable[[], Any]]] = [
                ("validator", lambda: handle_incoming_file(services, name, etag)),
                ("adaptor", lambda: handle_file_validated(services, _delivery(sent[FILE_VALIDATED_QUEUE]))),
                ("creator", lambda: handle_file_adapted(services, _delivery(sent[FILE_ADAPTED_QUEUE]))),
            ]  # fmt: skip
            for step, work in steps:
                outcome = _timed(step, work, node, blobs, profile=step in profiled, top=top)
            reader = blobs.open_reader(OUTGOING_CONTAINER, output_name(SENDER, outcome.file_id))
            digest, size = sha256_of(reader.stream)
            print(f"pain.001 {size:,} bytes sha256 {digest[:16]}")
        finally:
            azurite.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", default="", help="comma-separated steps to run under cProfile")
    parser.add_argument("--top", type=int, default=35, help="lines of each profile listing")
    parser.add_argument("--window", type=int, default=0,
                        help="duplicate_window_days (above 0 the validator claims every payment id)")
    parser.add_argument("--check-in-process", action="store_true",
                        help="the creator's XSD check in this process, not in the helper as the app runs it")
    args = parser.parse_args(argv)
    run(args.rows, {s for s in args.profile.split(",") if s}, args.top, args.window, args.check_in_process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
