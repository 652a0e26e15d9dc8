"""FileAdaptor's work: `file.validated` → the canonical grouped document → `file.adapted`.

The creation time of the document is the `occurred_at` of the validated message, so a redelivery
produces the same document, the same staged blob and (downstream) a byte-identical pain.001.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.contracts import FileAdapted, FileAdaptedData, FileValidated
from shared.domain.adaptation import adapt
from shared.domain.canonical import document_records
from shared.domain.payments import Payment
from shared.handlers.claimcheck import RecordSpool, iter_records, staging_prefix
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.publishing import publish
from shared.handlers.timeline import read_terminal, record_event
from shared.handlers.tracing import child_traceparent
from shared.services import Services
from shared.topology import FILE_ADAPTED_QUEUE

log = logging.getLogger(__name__)
STEP = "adaptor"


@dataclass(frozen=True)
class StepOutcome:
    state: str
    file_id: str
    detail: str = ""


def canonical_name(file_id: str) -> str:
    return f"{staging_prefix(file_id)}canonical.ndjson"


def handle_file_validated(services: Services, delivery: Delivery) -> StepOutcome:
    """Adapt one validated file; raises (after recording `step_failed`) so the broker retries."""
    return run_step(
        services, delivery, STEP, FileValidated, lambda message: _adapt(services, delivery, message)
    )


def _adapt(services: Services, delivery: Delivery, message: FileValidated) -> StepOutcome:
    data = message.data
    services.faults.check(STEP, data.blob_name)
    terminal = read_terminal(services.blobs, data.file_id)
    if terminal is not None:
        log.warning("file %s already ended %s; not adapting it", data.file_id, terminal.get("state"))
        return StepOutcome("skipped", data.file_id, f"already {terminal.get('state')}")
    payments = (Payment.from_record(record) for record in iter_records(services.blobs, data.payload))
    document = adapt(
        payments,
        file_id=data.file_id,
        sender=data.sender,
        sender_name=data.sender_name,
        creation_time=message.occurred_at,
    )
    with RecordSpool() as spool:
        for record in document_records(document):
            spool.add(record)
        carried = spool.to_payload(
            services.blobs, canonical_name(data.file_id), services.claim_check_threshold
        )
    header = document.header
    adapted = FileAdapted(
        message_id=f"{data.file_id}:adapted",
        correlation_id=data.file_id,
        causation_id=message.message_id,
        occurred_at=services.clock.now(),
        source="FileAdaptor",
        data=FileAdaptedData(
            file_id=data.file_id,
            sender=data.sender,
            blob_name=data.blob_name,
            nb_of_txs=header.nb_of_txs,
            ctrl_sum=header.ctrl_sum,
            document=carried,
        ),
    )
    publish(services, FILE_ADAPTED_QUEUE, adapted, child_traceparent(delivery.application_properties))
    record_event(
        services.blobs,
        services.clock,
        data.file_id,
        "adapted",
        nb_of_txs=header.nb_of_txs,
        ctrl_sum=str(header.ctrl_sum),
        document=carried.kind,
        attempt=delivery.delivery_count,
    )
    return StepOutcome("adapted", data.file_id)
