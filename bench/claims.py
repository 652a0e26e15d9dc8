"""Benchmark of the payment claims: what the cross-file duplicate check costs the validator, on Azurite.

    python -m bench.claims [--rows 100000]

Runs FileValidator's handler (`handle_incoming_file`) in-process over a real Azurite (in memory, blob and
table endpoints) with the real adapters; the publisher only counts. Four cases, each a fresh file:
  off        duplicate_window_days = 0: no claims (the cost of everything else);
  claim      a new file: its ids claimed in batches of whole blocks (up to 100) of one partition;
  redeliver  the claims step of that file's validator run again, as after a crash once its claims
             committed (each batch is refused, read back and found all ours);
  refused    the same ids in another file (one payment changed, so not a whole-file duplicate): every
             batch meets claims, reads its key range back, and the file is rejected and released.
Index requests are counted by the adapter (a query counts its pages). Seconds are wall time (Azurite
runs in another process) and this process's CPU time. Everything stops at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from localdev.stack.azurite import AzuriteProcess
from samples.generate import DEFAULT_REFERENCE, generate_rows, write_csv
from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.azure_table import AzureTablePaymentIndex
from shared.adapters.connections import blob_service_client, table_service_client
from shared.domain.reference import parse_reference_table
from shared.handlers.faults import FaultPlan
from shared.handlers.identity import incoming_file_id
from shared.handlers.payment_claims import ClaimRequest, claim_payments
from shared.handlers.reference_loader import CachedReferenceTable
from shared.handlers.validator import handle_incoming_file
from shared.ports import OutgoingMessage
from shared.services import Services
from shared.topology import INCOMING_CONTAINER, REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB

SENDER = "acme-payroll"


class _CountingPublisher:
    def __init__(self) -> None:
        self.sent = 0

    def publish(self, entity: str, message: OutgoingMessage) -> None:
        self.sent += 1

    def ready(self) -> None:
        return None


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


def reference(window_days: int) -> bytes:
    table = json.loads(DEFAULT_REFERENCE.read_bytes())
    table["senders"][SENDER].update(max_rows=10_000_000, max_file_amount="1000000000000.00",
                                    duplicate_window_days=window_days)
    return json.dumps(table).encode()


def make_file(rows: int, seed: int, change_last: bool = False) -> bytes:
    policy = parse_reference_table(reference(90)).senders[SENDER]
    generated = list(generate_rows(rows, sender=SENDER, policy=policy,
                                   first_date=date.today() + timedelta(days=7), seed=seed))
    if change_last:
        generated[-1][9] = generated[-1][9] + " (corrected)"
    out = io.BytesIO()
    write_csv(iter(generated), out)
    return out.getvalue()


def run(services: Services, index: AzureTablePaymentIndex, name: str, data: bytes | None,
        etag: str | None = None) -> tuple[str, float, float, int, str]:
    blobs = services.blobs
    if data is not None:
        etag = blobs.write(INCOMING_CONTAINER, name, data)
    before, wall, cpu = index.requests, time.perf_counter(), time.process_time()
    outcome = handle_incoming_file(services, name, etag)
    return (outcome.state, time.perf_counter() - wall, time.process_time() - cpu, index.requests - before,
            str(etag))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        azurite = AzuriteProcess(Path(folder), in_memory=True)
        azurite.start_and_wait()
        try:
            _bench(azurite.connection_string, args.rows)
        finally:
            azurite.stop()


def _bench(connection: str, rows: int) -> None:
    env = {"PaymentsStorage": connection}
    blobs = AzureBlobStore(blob_service_client("PaymentsStorage", env))
    index = AzureTablePaymentIndex(table_service_client("PaymentsStorage", env))
    clock = _Clock()
    services = Services(blobs=blobs, publisher=_CountingPublisher(), clock=clock,
                        reference=CachedReferenceTable(blobs, clock, 0), payments=index, faults=FaultPlan())
    print(__doc__.split("\n\n")[2].strip(), "\n")
    print(f"{'case':<10} {'rows':>7} {'state':<10} {'wall s':>7} {'cpu s':>6} {'index requests':>15}")
    blobs.write(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB, reference(0))
    _line("off", rows, run(services, index, f"{SENDER}/off.csv", make_file(rows, seed=1)))
    blobs.write(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB, reference(90))
    claimed = run(services, index, f"{SENDER}/claim.csv", make_file(rows, seed=2))
    _line("claim", rows, claimed)
    again = _redeliver(services, index, f"{SENDER}/claim.csv", claimed[4], make_file(rows, seed=2))
    _line("redeliver", rows, again)
    refused = run(services, index, f"{SENDER}/refused.csv", make_file(rows, seed=2, change_last=True))
    _line("refused", rows, refused)


def _redeliver(services: Services, index: AzureTablePaymentIndex, name: str, etag: str,
               data: bytes) -> tuple[str, float, float, int, str]:
    """The claims step of a validator redelivered after its claims committed (the rest of its work is
    measured by `off`): the same file id and ids again."""
    ids = [(line.split(b",", 1)[0].decode(), row) for row, line in enumerate(data.splitlines()[1:], start=2)]
    request = ClaimRequest(SENDER, incoming_file_id(name, etag), name, 90)
    before, wall, cpu = index.requests, time.perf_counter(), time.process_time()
    found = claim_payments(services, request, ids)
    return ("ours" if not found else "refused", time.perf_counter() - wall, time.process_time() - cpu,
            index.requests - before, etag)


def _line(case: str, rows: int, result: tuple[str, float, float, int, str]) -> None:
    state, wall, cpu, requests, _ = result
    print(f"{case:<10} {rows:>7} {state:<10} {wall:>7.2f} {cpu:>6.2f} {requests:>15}", flush=True)


if __name__ == "__main__":
    main()
