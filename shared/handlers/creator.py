"""FileCreator's work: `file.adapted` → pain.001.001.09 in `outgoing/<sender>/<file id>.xml` → delivered.

The XML is written to a spool and checked against the XSD before anything reaches `outgoing/`, so a
failed file never has output. The name is deterministic and the bytes are too, so overwriting on a
redelivery is harmless.
"""

from __future__ import annotations

import logging
import tempfile
from typing import BinaryIO, cast

from shared.contracts import FileAdapted
from shared.domain.canonical import document_from_records
from shared.domain.pain001 import validate_pain001, write_pain001
from shared.handlers.adaptor import StepOutcome
from shared.handlers.blobops import delete_prefix
from shared.handlers.claimcheck import iter_records, staging_prefix
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.timeline import read_terminal, record_event, write_terminal
from shared.services import Services
from shared.topology import OUTGOING_CONTAINER, WORKFLOW_CONTAINER

log = logging.getLogger(__name__)
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
    terminal = read_terminal(services.blobs, data.file_id)
    if terminal is not None:
        log.warning("file %s already ended %s; not creating output", data.file_id, terminal.get("state"))
        return StepOutcome("skipped", data.file_id, f"already {terminal.get('state')}")
    document = document_from_records(iter_records(services.blobs, data.document))
    name = output_name(data.sender, data.file_id)
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as spool:
        out = cast(BinaryIO, spool)
        write_pain001(document, out)
        out.seek(0)
        validate_pain001(out)
        out.seek(0)
        services.blobs.write(OUTGOING_CONTAINER, name, out, overwrite=True)
    record_event(
        services.blobs,
        services.clock,
        data.file_id,
        "created",
        output=f"{OUTGOING_CONTAINER}/{name}",
        attempt=delivery.delivery_count,
    )
    delete_prefix(services.blobs, WORKFLOW_CONTAINER, staging_prefix(data.file_id))
    write_terminal(
        services.blobs, services.clock, data.file_id, "delivered", output=f"{OUTGOING_CONTAINER}/{name}"
    )
    return StepOutcome("delivered", data.file_id)
