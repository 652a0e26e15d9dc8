"""FileCreator's work: `file.adapted` → pain.001.001.09 in `outgoing/<sender>/<file id>.xml` → delivered.

The XML is staged, as it is written, as the blocks of its blob (invisible until committed) and fed at
the same time through the XSD check (`pain001.StreamingCheck`; for a big file in a helper process beside
this one, `services.schema_checks`); only a document that validated is committed to `outgoing/`. The name
and the bytes are deterministic, so overwriting on a redelivery is harmless. After writing, the creator
records `delivered` only where nothing is claimed or recorded yet (`record_terminal(replacing="nothing")`:
its record is its claim, one write); if a compensation claimed `failed` first, it removes its own output
(and records `created` with `removed_because`), so a failed file never has output whatever the
interleaving. The terminal state is recorded before staging is cleaned up.
"""

from __future__ import annotations

import logging
import tempfile
from typing import BinaryIO, cast

from shared.contracts import FileAdapted
from shared.domain.canonical import CanonicalDocument, document_from_records
from shared.domain.pain001 import schema_error, validate_pain001, write_pain001
from shared.handlers.blobops import delete_prefix, staged_write, tee
from shared.handlers.claimcheck import iter_records, staging_prefix
from shared.handlers.ending import announce_ending, delivered_ending
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.outcome import StepOutcome, already_ended
from shared.handlers.timeline import ending_state, read_ending_record, record_event, record_terminal
from shared.ports import SchemaCheckUnavailable
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
    ended = _already_ended(services, data.file_id)
    if ended is not None:
        return ended
    output = f"{OUTGOING_CONTAINER}/{output_name(data.sender, data.file_id)}"
    _write_output(services, message)
    # No `created` event: the terminal record names the output, and an output that loses the ending is
    # removed with an event saying so (a compensation deletes it regardless). Recorded before staging is
    # cleaned up: a crash in between leaves a delivered file whose redelivery only finishes the clean-up,
    # never one that can neither be re-created (staging gone) nor delivered.
    terminal = record_terminal(services.blobs, services.clock, data.file_id, "delivered", replacing="nothing",
                               output=output)
    if terminal is None:
        return _lost_to_another_end(services, delivery, data.sender, data.file_id)
    announce_ending(services, data.file_id, delivered_ending(terminal, data))  # from what is in hand
    # `staged` False: the payload and the document both travelled inline. Whether records go by claim-check
    # is a function of the records and the threshold, so an earlier attempt of either step (one that
    # crashed after staging) decided the same way and staged nothing either; None (an older adaptor): list.
    if data.staged is not False:
        delete_prefix(services.blobs, WORKFLOW_CONTAINER, staging_prefix(data.file_id))
    return StepOutcome("delivered", data.file_id)


def _write_output(services: Services, message: FileAdapted) -> None:
    """pain.001 into staged blocks of its `outgoing/` blob (invisible until committed, so the upload
    overlaps the writing) and, as it is written, through the XSD check (for a big file in a helper process,
    on another core); committed only once the whole document validated: a failed check leaves nothing in
    `outgoing/`."""
    data = message.data
    name = output_name(data.sender, data.file_id)
    document = _document(services, message)
    with (staged_write(services.blobs, OUTGOING_CONTAINER, name) as writer,
          services.schema_checks.open(document.header.nb_of_txs) as check):  # fmt: skip
        write_pain001(document, tee(cast(BinaryIO, check), writer))
        try:
            error = check.first_error()
        except SchemaCheckUnavailable as exc:
            log.warning("file %s: %s; checking its pain.001 again in this process", data.file_id, exc)
            _check_written_again(services, message)
            error = None
        if error is not None:
            _check_written_again(services, message)
            raise schema_error([error])  # the full check disagreed: at least the first error
        writer.commit()


def _check_written_again(services: Services, message: FileAdapted) -> None:
    """Write the same document again, the same bytes, into a temporary file and check it whole in this
    process: raises the report that lists every error with its line. Only when the streaming check failed
    (a bug in the writer) or gave no verdict, so rare."""
    with tempfile.TemporaryFile() as again:
        write_pain001(_document(services, message), again)
        again.seek(0)
        validate_pain001(again)


def _document(services: Services, message: FileAdapted) -> CanonicalDocument:
    """The canonical document the message carries (inline or staged), read lazily, once."""
    return document_from_records(iter_records(services.blobs, message.data.document))


def _already_ended(services: Services, file_id: str) -> StepOutcome | None:
    """Skip a late redelivery (for a delivered file, first finish a clean-up a crash interrupted), and
    skip while another ending is being recorded (a compensation that claimed `failed` is at work: it
    would only remove our output). One read: terminal.json holds both the claims and the record."""
    found = read_ending_record(services.blobs, file_id)
    if found is None:
        return None
    if found.terminal is not None:
        if found.state == "delivered":
            delete_prefix(services.blobs, WORKFLOW_CONTAINER, staging_prefix(file_id))
        return already_ended(services, file_id, "creating output")
    log.warning("file %s is ending %s; not creating output", file_id, found.state)
    return StepOutcome("skipped", file_id, f"already {found.state}")


def _lost_to_another_end(services: Services, delivery: Delivery, sender: str, file_id: str) -> StepOutcome:
    """The file ended otherwise while we wrote (a compensation, or a failure handler that gave up,
    recorded `failed`): a failed file never keeps output, and its timeline says it was made and removed."""
    state = ending_state(services.blobs, file_id)
    if state != "delivered":
        name = output_name(sender, file_id)
        services.blobs.delete(OUTGOING_CONTAINER, name)
        record_event(services.blobs, services.clock, file_id, "created", attempt=delivery.delivery_count,
                     output=f"{OUTGOING_CONTAINER}/{name}", removed_because=state)
        log.warning("file %s ended %s while its pain.001 was written; output removed", file_id, state)
    return StepOutcome("skipped", file_id, f"already {state}")
