"""FileCreator's work: `file.adapted` → pain.001.001.09 in `outgoing/<sender>/<file id>.xml` → delivered.

The XML is written to a spool and checked against the XSD before anything reaches `outgoing/`, so a
failed file never has output. The name is deterministic and the bytes are too, so overwriting on a
redelivery is harmless.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO, cast

from shared.contracts import FileAdapted
from shared.domain.canonical import document_from_records
from shared.domain.pain001 import validate_pain001, write_pain001
from shared.handlers.blobops import delete_prefix
from shared.handlers.claimcheck import iter_records, staging_prefix
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.outcome import StepOutcome, already_ended
from shared.handlers.timeline import record_event, write_terminal
from shared.services import Services
from shared.topology import OUTGOING_CONTAINER, WORKFLOW_CONTAINER

STEP = "creator"


def output_name(sender: str, file_id: str) -> str:
    return f"{sender}/{file_id}.xml"


def handle_file_adapted(services: Services, delivery: Delivery) -> StepOutcome:
    """Create and deliver the pain.001; raises (after recording `step_failed`) so the broker retries."""
    return run_step(
        services, delivery, STEP, FileAdapted, lambda message: _create(services, delivery, message)
    )


def _create(services: Services, delivery: Delivery, message: FileAdapted) -> StepOutcome:
    data = message.data
    services.faults.check(STEP, data.blob_name)
    skipped = already_ended(services.blobs, data.file_id, "creating output")
    if skipped is not None:
        return skipped
    document = document_from_records(iter_records(services.blobs, data.document))
    output = f"{OUTGOING_CONTAINER}/{output_name(data.sender, data.file_id)}"
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as spool:
        out = cast(BinaryIO, spool)
        write_pain001(document, out)
        out.seek(0)
        validate_pain001(out)  # before anything reaches outgoing/: a failed file never has output
        out.seek(0)
        services.blobs.write(OUTGOING_CONTAINER, output_name(data.sender, data.file_id), out, overwrite=True)
    record_event(services.blobs, services.clock, data.file_id, "created", output=output,
                 attempt=delivery.delivery_count)
    delete_prefix(services.blobs, WORKFLOW_CONTAINER, staging_prefix(data.file_id))
    write_terminal(services.blobs, services.clock, data.file_id, "delivered", output=output)
    return StepOutcome("delivered", data.file_id)
