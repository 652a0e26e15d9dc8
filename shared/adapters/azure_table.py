"""`PaymentIndex` over azure-data-tables: one entity per block of ids, 16 partitions per sender.

PartitionKey `<sender>~<bucket>`, RowKey `b:<stem>` (both from `shared.domain.claim_keys`): the entity
holds the claims on every id of that stem (`claim_blocks.Block`), so a run of 100 sequential references
is one entity, not 100. A batch (whole blocks of one partition, at most 100) is one entity-group
transaction, so it commits whole or not at all: a block not yet written is created (refused if another
file created it first), one that exists is replaced with `If-Match` on the ETag it was read at, so two
files can never both add the same id, and a takeover needs the version read. Reading a batch's claims
back is one range query over its blocks; the blocks read are remembered (ETag and content) for the claim
that follows, and the service's `If-Match` decides, so a stale memory costs a retry, never a wrong claim.
Releasing finds the file's blocks with a filter on its `f_<hash>` property over the sender's partitions
and rewrites (or deletes, when empty) each with `If-Match`, re-reading a block that changed meanwhile, so
a claim another file holds is never removed.

Transactions go through `table_batch.submit` (the SDK's own `submit_transaction` costs ~130 ms of CPU per
batch; `fast_batches=False` uses it, and the integration tests run both). `requests` counts the HTTP
requests sent (a query counts its pages), to state a file's cost.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError, UpdateMode

from shared.adapters.claim_blocks import Block, block_of, file_property
from shared.adapters.table_batch import BatchFailed, Operation, submit
from shared.domain.claim_keys import block_key, partition_key, sender_partition_prefix
from shared.ports import PaymentClaim
from shared.topology import PAYMENT_CLAIMS_TABLE

TRANSACTION_LIMIT = 100  # entities per entity-group transaction (the service's limit)
REMEMBERED_BLOCKS = 4096  # blocks read by `existing` kept for the claim that follows (a bound, not a cache)
RELEASE_RETRIES = 5  # a block re-read this many times while other files keep changing it
_LOST_RACE = {404, 409, 412}  # gone, already exists, ETag no longer matches: someone else wrote first
_TABLE_NOT_FOUND = "TableNotFound"
BlockId = tuple[str, str]  # (PartitionKey, RowKey)


class AzureTablePaymentIndex:
    MAX_BATCH = TRANSACTION_LIMIT
    PARALLEL = 8  # batches in flight at once (the SDK's connection pool holds 10 connections)

    def __init__(self, service: TableServiceClient, table: str = PAYMENT_CLAIMS_TABLE,
                 fast_batches: bool = True) -> None:
        self._service = service
        self._fast = fast_batches
        self._table: TableClient = service.get_table_client(table)
        self._lock = threading.Lock()
        self._read: dict[BlockId, Block] = {}
        self.requests = 0

    def claim(self, sender: str, new: Sequence[PaymentClaim], takeover: Sequence[PaymentClaim]) -> bool:
        by_block: dict[BlockId, list[PaymentClaim]] = {}
        for claim in [*new, *takeover]:
            by_block.setdefault(_block_id(sender, claim.payment_id), []).append(claim)
        if not by_block:
            return True
        adding = {claim.payment_id for claim in new} if takeover else None  # None: every claim is new
        operations = []
        for block_id, claims in by_block.items():
            operation = self._write_claims(block_id, claims, adding)
            if operation is None:
                return False
            operations.append(operation)
        return self._committed(operations)

    def _write_claims(self, block_id: BlockId, claims: list[PaymentClaim],
                      adding: set[str] | None) -> Operation | None:
        """The operation that puts `claims` into their block, from the version `existing` read (None: that
        read is missing or no longer fits, so the caller must read again). `adding` are the new ids among
        `claims`, the rest being takeovers; None when all are new."""
        with self._lock:
            read = self._read.pop(block_id, None)
        if read is None:
            if adding is not None and any(claim.payment_id not in adding for claim in claims):
                return None  # a takeover needs the version it was decided on
            return Operation("create", Block(*block_id).add(claims).entity())
        for claim in claims:
            held = read.holds(claim.payment_id)
            new = adding is None or claim.payment_id in adding
            if new != (held is None) or (held and held.version != claim.version):
                return None  # decided on another version of the block than the one remembered
        return Operation("replace", read.add(claims).entity(), read.etag)

    def _committed(self, operations: list[Operation]) -> bool:
        try:
            self._submit(operations)
        except _Refused as exc:
            if exc.status in _LOST_RACE:
                return False
            raise
        return True

    def existing(self, sender: str, payment_ids: Sequence[str]) -> dict[str, PaymentClaim]:
        by_partition: dict[str, set[str]] = {}
        for pid in payment_ids:
            by_partition.setdefault(partition_key(sender, pid), set()).add(block_key(pid))
        blocks: dict[BlockId, Block] = {}
        query = "PartitionKey eq @pk and RowKey ge @low and RowKey le @high"
        for partition, keys in by_partition.items():
            parameters = {"pk": partition, "low": min(keys), "high": max(keys)}
            for entity in self._query(query, parameters):
                if entity["RowKey"] in keys:
                    blocks[(partition, entity["RowKey"])] = block_of(entity, entity.metadata["etag"])
        self._remember(blocks)
        found = {}
        for pid in payment_ids:
            block = blocks.get(_block_id(sender, pid))
            claim = block.holds(pid) if block else None
            if claim is not None:
                found[pid] = claim
        return found

    def _remember(self, blocks: dict[BlockId, Block]) -> None:
        with self._lock:
            if len(self._read) + len(blocks) > REMEMBERED_BLOCKS:
                self._read.clear()  # read but never claimed (a refused file): only bounds the memory
            self._read.update(blocks)

    def release(self, sender: str, file_id: str) -> int:
        prefix = sender_partition_prefix(sender)
        query = f"PartitionKey ge @low and PartitionKey le @high and {file_property(file_id)} eq @file"
        parameters = {"low": f"{prefix}0", "high": f"{prefix}f", "file": file_id}
        released, chunk = 0, list[Block]()
        # Rewritten while paging: a continuation is a key position, so what changed does not move it.
        for entity in self._query(query, parameters):
            block = block_of(entity, entity.metadata["etag"])
            if chunk and (len(chunk) == TRANSACTION_LIMIT or chunk[0].partition != block.partition):
                released += self._release_blocks(chunk, file_id)
                chunk = []
            chunk.append(block)
        return released + (self._release_blocks(chunk, file_id) if chunk else 0)

    def _release_blocks(self, blocks: list[Block], file_id: str) -> int:
        """Remove the file's claims from these blocks (one partition) at the versions read; a block that
        changed meanwhile is read again and retried alone."""
        results = [block.without(file_id) for block in blocks]
        if self._committed([_rewrite(kept) for kept, _ in results]):
            return sum(count for _, count in results)
        return sum(self._release_one(block, file_id) for block in blocks)

    def _release_one(self, block: Block, file_id: str) -> int:
        for _ in range(RELEASE_RETRIES):
            current = self._point_read(block.partition, block.row)
            if current is None:
                return 0
            kept, count = current.without(file_id)
            if count == 0 or self._committed([_rewrite(kept)]):
                return count
        raise RuntimeError(f"payment index block {block.row!r} of {block.partition} keeps changing while "
                           f"file {file_id} releases its claims; retrying")

    def _point_read(self, partition: str, row: str) -> Block | None:
        self._count()
        try:
            entity = self._table.get_entity(partition, row)
        except ResourceNotFoundError:
            return None
        return block_of(entity, str(entity.metadata["etag"]))

    def _submit(self, operations: list[Operation]) -> None:
        try:
            self._send(operations)
        except _Refused as exc:
            # A fresh account (Azurite, a new environment) has no table yet; a 404 on an entity is a race.
            # Creating it is idempotent, and a second refusal is raised: this never loops.
            if exc.code != _TABLE_NOT_FOUND:
                raise
            self._ensure_table()
            self._send(operations)

    def _send(self, operations: list[Operation]) -> None:
        """One transaction by either path; a refusal is `_Refused(status, code)` either way."""
        self._count()
        try:
            if self._fast:
                submit(self._table, operations)
            else:
                self._table.submit_transaction([_sdk_operation(operation) for operation in operations])
        except BatchFailed as exc:
            raise _Refused(exc.status, exc.code) from exc
        except TableTransactionError as exc:
            raise _Refused(exc.status_code or 0, _code(exc)) from exc

    def _count(self) -> None:
        with self._lock:  # batches are sent from several threads
            self.requests += 1

    def _query(self, query: str, parameters: dict[str, Any]) -> Iterator[Any]:
        pages: Iterable[Iterable[Any]] = self._table.query_entities(
            query, parameters=parameters, results_per_page=1000).by_page()
        try:
            for page in pages:
                self._count()
                yield from page
        except ResourceNotFoundError as exc:
            if _code(exc) != _TABLE_NOT_FOUND:
                raise
            return  # no table yet: nothing was ever claimed

    def _ensure_table(self) -> None:
        self._count()
        with self._lock, contextlib.suppress(ResourceExistsError):  # another thread or process made it
            self._service.create_table(self._table.table_name)


class _Refused(Exception):  # noqa: N818 (a refused transaction, whichever path sent it)
    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


def _sdk_operation(operation: Operation) -> tuple[Any, ...]:
    if operation.kind == "create":
        return ("create", dict(operation.entity))
    assert operation.etag is not None
    if operation.kind == "replace":
        return ("update", dict(operation.entity), {"mode": UpdateMode.REPLACE, **_if_match(operation.etag)})
    return ("delete", dict(operation.entity), _if_match(operation.etag))


def _code(exc: HttpResponseError) -> str:
    """The service's error code (the SDK sets `error_code` on the errors it raises, untyped)."""
    code = getattr(exc, "error_code", None)  # a plain string from a transaction, an enum from a query
    return str(getattr(code, "value", code) or "")


def _if_match(etag: str) -> dict[str, Any]:
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


def _block_id(sender: str, payment_id: str) -> BlockId:
    return partition_key(sender, payment_id), block_key(payment_id)


def _rewrite(block: Block) -> Operation:
    """Replace the block at the version read, or delete it when nothing is left in it."""
    if not block.claims:
        return Operation("delete", {"PartitionKey": block.partition, "RowKey": block.row}, block.etag)
    return Operation("replace", block.entity(), block.etag)
