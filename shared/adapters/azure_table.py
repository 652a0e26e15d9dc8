"""`PaymentIndex` over azure-data-tables: one entity per claimed payment, 16 partitions per sender.

PartitionKey `<sender>~<bucket>`, RowKey `p:<payment id>` (both from `shared.domain.claim_keys`), with
`payment_id`, `file_id`, `blob_name` and `claimed_at`. A batch (one partition, at most 100 entities) is
one entity-group transaction, so it commits whole or not at all; a takeover is a replace with
`If-Match` on the stale claim's ETag. Reading a batch's claims back is one range query over its keys
(the validator claims in key order, so the range is narrow). Releasing finds the file's claims with a
filter on `file_id` over the sender's partitions (a scan: it runs only when a file fails or is rejected)
and deletes each with `If-Match`, 100 per transaction, so a claim another file took over meanwhile is
never deleted.

Transactions go through `table_batch.submit` (the SDK's own `submit_transaction` costs ~130 ms of CPU per
batch; `fast_batches=False` uses it, and the integration tests run both). `requests` counts the HTTP
requests sent (a query counts its pages), to state a file's cost.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient, TableServiceClient, TableTransactionError, UpdateMode

from shared.adapters.table_batch import BatchFailed, Operation, submit
from shared.domain.claim_keys import partition_key, payment_key, sender_partition_prefix
from shared.ports import PaymentClaim
from shared.topology import PAYMENT_CLAIMS_TABLE

TRANSACTION_LIMIT = 100  # entities per entity-group transaction (the service's limit)
_LOST_RACE = {404, 409, 412}  # gone, already exists, ETag no longer matches: someone else wrote first
_TABLE_NOT_FOUND = "TableNotFound"
_SELECT = ["RowKey", "payment_id", "file_id", "blob_name", "claimed_at"]


class AzureTablePaymentIndex:
    MAX_BATCH = TRANSACTION_LIMIT
    PARALLEL = 8  # batches in flight at once (the SDK's connection pool holds 10 connections)

    def __init__(self, service: TableServiceClient, table: str = PAYMENT_CLAIMS_TABLE,
                 fast_batches: bool = True) -> None:
        self._service = service
        self._fast = fast_batches
        self._table: TableClient = service.get_table_client(table)
        self._lock = threading.Lock()
        self.requests = 0

    def claim(self, sender: str, new: Sequence[PaymentClaim], takeover: Sequence[PaymentClaim]) -> bool:
        operations = [Operation("create", _entity(sender, claim)) for claim in new]
        operations += [Operation("replace", _entity(sender, claim), claim.version) for claim in takeover]
        if not operations:
            return True
        try:
            self._submit(operations)
        except _Refused as exc:
            if exc.status in _LOST_RACE:
                return False
            raise
        return True

    def existing(self, sender: str, payment_ids: Sequence[str]) -> dict[str, PaymentClaim]:
        by_partition: dict[str, list[str]] = {}
        for pid in payment_ids:
            by_partition.setdefault(partition_key(sender, pid), []).append(payment_key(pid))
        found = {}
        query = "PartitionKey eq @pk and RowKey ge @low and RowKey le @high"
        for partition, keys in by_partition.items():
            wanted = set(keys)
            parameters = {"pk": partition, "low": min(keys), "high": max(keys)}
            for entity in self._query(query, parameters, _SELECT):
                if entity["RowKey"] in wanted:
                    claim = _claim(entity)
                    found[claim.payment_id] = claim
        return found

    def release(self, sender: str, file_id: str) -> int:
        prefix = sender_partition_prefix(sender)
        query = "PartitionKey ge @low and PartitionKey le @high and file_id eq @file"
        parameters = {"low": f"{prefix}0", "high": f"{prefix}f", "file": file_id}
        released, chunk = 0, list[Any]()
        # Deleted while paging: a continuation is a key position, so what was deleted does not move it.
        for entity in self._query(query, parameters, ["PartitionKey", "RowKey"]):
            full = len(chunk) == TRANSACTION_LIMIT
            if chunk and (full or chunk[0]["PartitionKey"] != entity["PartitionKey"]):  # one partition each
                released += self._delete(chunk)
                chunk = []
            chunk.append(entity)
        return released + (self._delete(chunk) if chunk else 0)

    def _delete(self, chunk: list[Any]) -> int:
        """Delete the entities (one partition) still at the version read; return how many went."""
        operations = [Operation("delete", _keys(e), e.metadata["etag"]) for e in chunk]
        try:
            self._submit(operations)
            return len(chunk)
        except _Refused as exc:
            if exc.status not in _LOST_RACE:
                raise
        deleted = 0  # one of them changed meanwhile: delete the others one by one
        for entity in chunk:
            self._count()
            try:
                self._table.delete_entity(entity, **_if_match(entity.metadata["etag"]))
                deleted += 1
            except HttpResponseError as exc:
                if exc.status_code not in _LOST_RACE:
                    raise
        return deleted

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

    def _query(self, query: str, parameters: dict[str, Any], select: list[str]) -> Iterator[Any]:
        pages: Iterable[Iterable[Any]] = self._table.query_entities(
            query, parameters=parameters, select=select, results_per_page=1000).by_page()
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


def _keys(entity: Any) -> dict[str, Any]:
    return {"PartitionKey": entity["PartitionKey"], "RowKey": entity["RowKey"]}


def _code(exc: HttpResponseError) -> str:
    """The service's error code (the SDK sets `error_code` on the errors it raises, untyped)."""
    code = getattr(exc, "error_code", None)  # a plain string from a transaction, an enum from a query
    return str(getattr(code, "value", code) or "")


def _if_match(etag: str) -> dict[str, Any]:
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


def _entity(sender: str, claim: PaymentClaim) -> dict[str, Any]:
    return {"PartitionKey": partition_key(sender, claim.payment_id), "RowKey": payment_key(claim.payment_id),
            "payment_id": claim.payment_id, "file_id": claim.file_id, "blob_name": claim.blob_name,
            "claimed_at": claim.claimed_at}


def _claim(entity: Any) -> PaymentClaim:
    claimed_at = entity["claimed_at"]
    if not isinstance(claimed_at, datetime):
        claimed_at = datetime.fromisoformat(str(claimed_at).replace("Z", "+00:00"))
    return PaymentClaim(str(entity["payment_id"]), str(entity["file_id"]), str(entity["blob_name"]),
                        claimed_at, str(entity.metadata["etag"]))
