"""FileAdaptor's work: `file.validated` → the canonical grouped document → `file.adapted`.

The creation time of the document is the `occurred_at` of the validated message, so a redelivery
produces the same document, the same staged blob and (downstream) a byte-identical pain.001.
"""

from __future__ import annotations

from shared.contracts import (
    BlobReference,
    FileAdapted,
    FileAdaptedData,
    FileValidated,
    FileValidatedData,
    InlineRecords,
    Payload,
)
from shared.domain.adaptation import adapt
from shared.domain.canonical import CanonicalHeader, document_records
from shared.domain.payments import Payment
from shared.handlers.claimcheck import SPOOLED_SUFFIX, RecordSpool, iter_records, staging_prefix
from shared.handlers.debtor import debtor_from
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.outcome import StepOutcome, already_ended, discard_if_ended
from shared.handlers.publishing import publish
from shared.handlers.timeline import record_event
from shared.services import Services
from shared.topology import FILE_ADAPTED_QUEUE

STEP = "adaptor"


def canonical_name(file_id: str) -> str:
    return f"{staging_prefix(file_id)}canonical{SPOOLED_SUFFIX}"


def handle_file_validated(services: Services, delivery: Delivery) -> StepOutcome:
    """Adapt one validated file; raises (after recording `step_failed`) so the broker retries."""
    return run_step(services, delivery, STEP, FileValidated, lambda msg: _adapt(services, delivery, msg))


def _adapt(services: Services, delivery: Delivery, message: FileValidated) -> StepOutcome:
    data = message.data
    services.faults.check(STEP, data.blob_name)
    if _may_have_ended(delivery, data) and (skipped := already_ended(services, data.file_id, "adapting it")):
        return skipped
    header, carried = _canonical(services, message)
    if isinstance(carried, BlobReference) and discard_if_ended(
        services.blobs, data.file_id, carried.container, carried.name
    ):
        return StepOutcome("skipped", data.file_id, "ended while adapting")
    adapted = FileAdapted(
        message_id=f"{data.file_id}:adapted", correlation_id=data.file_id, causation_id=message.message_id,
        occurred_at=services.clock.now(), source="FileAdaptor",
        data=FileAdaptedData(file_id=data.file_id, sender=data.sender, blob_name=data.blob_name,
                             nb_of_txs=header.nb_of_txs, ctrl_sum=header.ctrl_sum, document=carried,
                             warnings=data.warnings, staged=_staged(data.payload, carried)),
    )
    publish(services, FILE_ADAPTED_QUEUE, adapted)
    record_event(services.blobs, services.clock, data.file_id, "adapted", nb_of_txs=header.nb_of_txs,
                 ctrl_sum=str(header.ctrl_sum), document=carried.kind, attempt=delivery.delivery_count)
    return StepOutcome("adapted", data.file_id)


Carried = InlineRecords | BlobReference


def _may_have_ended(delivery: Delivery, data: FileValidatedData) -> bool:
    """Whether to read the state before adapting: on a redelivery, or when the records wait in staging
    (which an ended file no longer has). A first delivery of an inline file reads nothing: a republished
    copy (same message id) is dropped by the queue's duplicate detection, and a late copy that still got
    through is adapted to no effect, since the creator's own check gives an ended file no output."""
    return delivery.delivery_count > 1 or isinstance(data.payload, BlobReference)


def _staged(payload: Payload, document: Carried) -> bool:
    """Whether the creator has staging to clean up: only what went by claim-check is ever staged."""
    return isinstance(payload, BlobReference) or isinstance(document, BlobReference)


def _canonical(services: Services, message: FileValidated) -> tuple[CanonicalHeader, Carried]:
    """Adapt the payments (streamed from the payload) and carry the document inline or staged."""
    data = message.data
    payments = (Payment.from_record(record) for record in iter_records(services.blobs, data.payload))
    document = adapt(payments, file_id=data.file_id, sender=data.sender, sender_name=data.sender_name,
                     creation_time=message.occurred_at, debtor=debtor_from(data))
    with RecordSpool(services.blobs, canonical_name(data.file_id), services.claim_check_threshold) as spool:
        for record in document_records(document):
            spool.add(record)
        carried = spool.to_payload()
    return document.header, carried
