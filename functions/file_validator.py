"""FileValidator: blob trigger on `incoming/{name}` (PaymentsStorage).

The trigger source is chosen when this module is imported, from `BLOB_TRIGGER_SOURCE`: polling
(LogsAndContainerScan) locally, EventGrid in Azure (required on Flex Consumption). The bound bytes are
not used; the handler streams the blob through the storage SDK so large files stay out of memory.
"""

from __future__ import annotations

import logging

import azure.functions as func

from functions.convert import blob_name_in, etag_of, log_outcome, new_blueprint
from shared.bootstrap import get_services
from shared.handlers.identity import incoming_file_id
from shared.handlers.validator import handle_incoming_file
from shared.settings import blob_trigger_source
from shared.telemetry import file_traceparent, name_file, resume_file_trace
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
def file_validator(blob: func.InputStream) -> None:
    name, etag = blob_name_in(INCOMING_CONTAINER, blob.name), etag_of(blob)
    services = get_services()
    file_id = incoming_file_id(name, etag) if etag else ""
    # A file's trace starts here, under a root derived from the file id: a retry (the host retries a blob
    # with no context) derives the same one, with no read, and the poison path resumes it from the
    # timeline (every event records it), so all of a file's attempts are one trace.
    with resume_file_trace("FileValidator", file_id, file_traceparent(file_id) if file_id else "") as span:
        outcome = handle_incoming_file(services, name, etag)
        if outcome.file_id:
            name_file(span, outcome.file_id)
        log_outcome(log, "FileValidator", name, outcome)
