"""FileValidator: blob trigger on `incoming/{name}` (PaymentsStorage).

The trigger source is chosen when this module is imported, from `BLOB_TRIGGER_SOURCE`: polling
(LogsAndContainerScan) locally, EventGrid in Azure (required on Flex Consumption). The parameter is an
SDK-type `BlobClient` (azurefunctions-extensions-bindings-blob): the host passes where the blob is, never
its bytes, so a large file is read once, streamed by the handler through the storage SDK, and never
held whole in the host's or the worker's memory. Only the client's container and name are used.
"""

from __future__ import annotations

import logging

import azure.functions as func
from azurefunctions.extensions.bindings.blob import BlobClient

from functions.convert import incoming_blob_name, log_outcome, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.validator import ValidatorOutcome, open_incoming, validate_opened
from shared.settings import blob_trigger_source
from shared.telemetry import file_traceparent, resume_file_trace
from shared.topology import INCOMING_CONTAINER, PAYMENTS_STORAGE_SETTING

log = logging.getLogger(__name__)
bp = new_blueprint()
SOURCE = (
    func.BlobSource.EVENT_GRID
    if blob_trigger_source() == "EventGrid"
    else func.BlobSource.LOGS_AND_CONTAINER_SCAN
)


@bp.function_name("FileValidator")
@bp.blob_trigger(
    arg_name="blob", path=f"{INCOMING_CONTAINER}/{{name}}", connection=PAYMENTS_STORAGE_SETTING, source=SOURCE
)
def file_validator(blob: BlobClient) -> None:
    name = incoming_blob_name(INCOMING_CONTAINER, blob)
    services = get_services()
    # The version read names the file (its ETag is in the file id): the first GET tells it.
    opened = open_incoming(services, name)
    if isinstance(opened, ValidatorOutcome):
        log_outcome(log, "FileValidator", name, opened)
        return
    file_id = opened.file.file_id
    # A file's trace is resumed under a root derived from the file id: a retry (the host retries a blob
    # with no context) derives the same one, and the poison path resumes it from the timeline (every
    # event records it), so all of a file's attempts are one trace.
    with resume_file_trace("FileValidator", file_id, file_traceparent(file_id)):
        outcome = validate_opened(services, opened)
        log_outcome(log, "FileValidator", name, outcome)
