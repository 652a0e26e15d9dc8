"""The cross-file duplicate-payment check: a valid file claims each of its payment ids for its sender.

Claims go to the `PaymentIndex` in batches of whole blocks of one partition each (`claim_keys`: ids that
differ only in their last two characters share a block), in `claim_keys.claim_order`, optimistically:
a batch that meets no earlier claim commits in one request. A batch that meets one reads the claims in
its key range back (one range query) and decides each by `duplicate_window.claim_blocks`:
ours (another run of this very file: a redelivery) is kept, a blocking one is a `DuplicatePayment`, a
stale one (its owner ended without delivery, or the window passed) is taken over with its version, so a
racing file cannot take it at the same time. A batch commits whole or not at all, so after a crash a
redelivered validator finds each batch either all its own or not written.

A batch that found a duplicate commits nothing. The file is then rejected, so its claims are released
before its terminal state is written: whoever sees it ended `rejected` or `failed` finds nothing of it
left in the index, and a claim left by a crash in between blocks nothing anyway.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from shared.contracts.timeline import TerminalRecord
from shared.domain.claim_keys import claim_order
from shared.domain.duplicate_window import OwnerState, claim_blocks
from shared.domain.frozen import positional_constructor
from shared.domain.issues import DUPLICATE_PAYMENT, ValidationIssue
from shared.domain.spill import RUN, SortedSpill
from shared.domain.validation import MAX_REPORTED_ISSUES
from shared.handlers.timeline import read_terminal
from shared.ports import BlobStore, PaymentClaim
from shared.services import Services

log = logging.getLogger(__name__)
RACE_RETRIES = 5  # a batch re-read this many times while racing files keep changing it, then retried
_new_claim = positional_constructor(PaymentClaim)  # `PaymentClaim(*fields)`, about twice as fast


@dataclass(frozen=True)
class DuplicatePayment:
    """A row whose payment id an earlier file holds: which file, and whether it was delivered."""

    row: int
    payment_id: str
    earlier_file: str
    earlier_blob: str
    delivered: bool
    since: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "payment_id": self.payment_id, "earlier_file": self.earlier_file,
                "earlier_blob_name": self.earlier_blob,
                "earlier_state": "delivered" if self.delivered else "in_progress",
                "since": self.since.isoformat().replace("+00:00", "Z")}


@dataclass(frozen=True)
class ClaimRequest:
    sender: str
    file_id: str
    blob_name: str
    window_days: int


class PaymentIds:
    """A file's payment ids with their rows, kept in claim order in bounded memory: each id's keys are
    computed once, as it arrives, and sorted runs spill to a temporary file (`spill.SortedSpill`), so a
    million ids cost a run's worth of memory, not a million tuples."""

    def __init__(self, sender: str, run: int = RUN) -> None:
        self._sender = sender
        self._spill = SortedSpill(run)

    def __len__(self) -> int:
        return len(self._spill)

    def add(self, payment_id: str, row: int) -> None:
        self._spill.add((*claim_order(self._sender, payment_id), row))

    def ordered(self) -> Iterator[tuple[str, str, str, int]]:
        """Every (partition, block, payment id, row), in claim order; once."""
        return cast(Iterator[tuple[str, str, str, int]], iter(self._spill))

    def close(self) -> None:
        self._spill.close()


def claim_payments(services: Services, request: ClaimRequest,
                   payments: PaymentIds | Iterable[tuple[str, int]]) -> list[DuplicatePayment]:
    """Claim every (payment id, row); return the duplicates found (then nothing of this file is kept
    by the caller: it must `release_payments` and reject). A window of 0 days claims nothing."""
    if isinstance(payments, PaymentIds):
        return _claim_all(services, request, payments)
    ids = PaymentIds(request.sender)
    try:
        for payment_id, row in payments:
            ids.add(payment_id, row)
        return _claim_all(services, request, ids)
    finally:
        ids.close()


def _claim_all(services: Services, request: ClaimRequest, ids: PaymentIds) -> list[DuplicatePayment]:
    if request.window_days <= 0 or not len(ids):
        return []
    index = services.payments
    owners = _Owners(services.blobs)
    batches = _batches(ids.ordered(), index.MAX_BATCH)
    if index.PARALLEL <= 1:
        return [found for batch in batches for found in _claim_batch(services, request, batch, owners)]
    # Batches hold disjoint ids, so they can be in flight together: a store's latency, not its work,
    # bounds a big file's claims (about 16 round trips for 100,000 sequential rows). At most two
    # batches per thread are cut ahead (`Executor.map` would cut them all first: every id in memory).
    with ThreadPoolExecutor(index.PARALLEL, thread_name_prefix="claims") as pool:
        pending: deque[Future[list[DuplicatePayment]]] = deque()
        found: list[DuplicatePayment] = []
        for batch in batches:
            pending.append(pool.submit(_claim_batch, services, request, batch, owners))
            if len(pending) >= 2 * index.PARALLEL:
                found += pending.popleft().result()
        for future in pending:
            found += future.result()
        return found


def release_payments(services: Services, sender: str, file_id: str) -> int:
    released = services.payments.release(sender, file_id)
    if released:
        log.info("file %s: released %d payment claim(s)", file_id, released)
    return released


def _batches(ordered: Iterable[tuple[str, str, str, int]],
             size: int) -> Iterator[Sequence[tuple[str, int]]]:
    """Runs of whole blocks of one partition (`ordered` by `claim_order`), at most `size` blocks each:
    a transaction cannot span two partitions, and holds at most `size` entities, one per block."""
    batch: list[tuple[str, int]] = []
    partition, block, blocks = "", "", 0
    for here, its_block, pid, row in ordered:
        starts_block = its_block != block or here != partition
        if batch and (here != partition or (starts_block and blocks == size)):
            yield batch
            batch, blocks = [], 0
        blocks += starts_block
        partition, block = here, its_block
        batch.append((pid, row))
    if batch:
        yield batch


def _claim_batch(services: Services, request: ClaimRequest, batch: Sequence[tuple[str, int]],
                 owners: _Owners) -> list[DuplicatePayment]:
    index = services.payments
    now = services.clock.now()
    file_id, blob_name = request.file_id, request.blob_name
    mine = [_new_claim(pid, file_id, blob_name, now, "") for pid, _ in batch]  # a 100k file: 100k claims
    if index.claim(request.sender, mine, ()):
        return []
    ids = [pid for pid, _ in batch]
    for _ in range(RACE_RETRIES):
        existing = index.existing(request.sender, ids)
        new, takeover, duplicates = [], [], []
        for (pid, row), claim in zip(batch, mine, strict=True):
            earlier = existing.get(pid)
            if earlier is None:
                new.append(claim)
            elif earlier.file_id == request.file_id:
                continue  # ours: another run of this very file claimed it
            elif (found := _blocking(owners, earlier, row, now, request.window_days)) is not None:
                duplicates.append(found)
            else:
                takeover.append(PaymentClaim(pid, request.file_id, request.blob_name, now, earlier.version))
        if duplicates:
            return duplicates
        if not new and not takeover:
            return []  # all ours: an earlier run of this file committed the batch
        if index.claim(request.sender, new, takeover):
            return []
    raise RuntimeError(f"payment claims of {request.sender} from {batch[0][0]!r} keep changing under file "
                       f"{request.file_id}; retrying")


def _blocking(owners: _Owners, earlier: PaymentClaim, row: int, now: datetime,
              window_days: int) -> DuplicatePayment | None:
    owner = owners.state(earlier)
    if not claim_blocks(owner, now, window_days):
        return None
    return DuplicatePayment(row, earlier.payment_id, earlier.file_id, earlier.blob_name,
                            owner.state == "delivered", owner.since)


class _Owners:
    """The earlier files' states, read once per file (a duplicate file names the same few owners)."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._terminals: dict[str, TerminalRecord | None] = {}

    def state(self, claim: PaymentClaim) -> OwnerState:
        if claim.file_id not in self._terminals:
            self._terminals[claim.file_id] = read_terminal(self._blobs, claim.file_id)
        terminal = self._terminals[claim.file_id]
        if terminal is None:
            return OwnerState(None, claim.claimed_at)
        since = datetime.fromisoformat(str(terminal["occurred_at"]).replace("Z", "+00:00"))
        return OwnerState(str(terminal.get("state")), since)


def duplicate_report(duplicates: Sequence[DuplicatePayment], sender: str, window_days: int) -> dict[str, Any]:
    """The rejection report for payments an earlier file holds: one `duplicate_payment` error per row,
    each naming the earlier file, and the same facts as data (`duplicate_payments`)."""
    ordered = sorted(duplicates, key=lambda found: found.row)
    shown = ordered[:MAX_REPORTED_ISSUES]
    errors = [ValidationIssue(found.row, "payment_id", DUPLICATE_PAYMENT,
                              _message(found, sender, window_days)) for found in shown]
    return {"state": "rejected", "errors": [error.to_dict() for error in errors], "error_count": len(ordered),
            "duplicate_payments": [found.to_dict() for found in shown],
            "duplicate_of": sorted({found.earlier_file for found in ordered})}


def _message(found: DuplicatePayment, sender: str, window_days: int) -> str:
    where = f"file {found.earlier_file} (incoming/{found.earlier_blob})"
    advice = "remove the row if it is the same payment, or give a new payment a new id"
    if found.delivered:
        return (f"row {found.row}, payment_id: {found.payment_id!r} was already delivered in {where} on "
                f"{found.since.date().isoformat()}; sender {sender!r} may not pay the same payment id again "
                f"within {window_days} days: {advice}")
    return (f"row {found.row}, payment_id: {found.payment_id!r} is in {where}, which is being processed "
            f"now: {advice}")
