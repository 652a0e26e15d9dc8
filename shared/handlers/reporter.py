"""FileReporter's work: `file.ended` → the sender's pain.002 in `reports/<sender>/<file id>.pain.002.xml`.

A participant that joined by subscribing: it reads only the event (and the event's claim-check), never
another step's blobs, and never touches the file's state. The report's bytes are derived from the event
alone, and it is written create-if-absent, so a redelivered or re-announced event changes nothing.
Failures raise after `run_step` records them, so the broker retries and then dead-letters.
"""

from __future__ import annotations

import logging

from shared.contracts import FileEnded, FileEndedData
from shared.domain.pain002 import ReportFacts, build_pain002, issues_from
from shared.handlers.claimcheck import iter_records
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.outcome import StepOutcome
from shared.handlers.report_location import report_name
from shared.ports import BlobAlreadyExists
from shared.services import Services
from shared.topology import REPORTS_CONTAINER

log = logging.getLogger(__name__)
STEP = "reporter"


def handle_file_ended(services: Services, delivery: Delivery) -> StepOutcome:
    """Write the file's status report once; raises (after recording `step_failed`) so the broker retries."""
    return run_step(services, delivery, STEP, FileEnded, lambda message: _report(services, message))


def _report(services: Services, message: FileEnded) -> StepOutcome:
    data = message.data
    services.faults.check(STEP, data.blob_name)
    written = write_report(services, message)
    if written is None:
        log.info("file %s already has its status report", data.file_id)
        return StepOutcome("skipped", data.file_id, "already reported")
    return StepOutcome("reported", data.file_id, f"{written} ({data.state})")


def write_report(services: Services, message: FileEnded, *, overwrite: bool = False) -> str | None:
    """Build, check and write the report; its `reports/…` path, or None if one was there (and kept)."""
    data = message.data
    xml = build_pain002(report_facts(services, message))
    name = report_name(data.sender, data.file_id)
    try:
        services.blobs.write(REPORTS_CONTAINER, name, xml, overwrite=overwrite)
    except BlobAlreadyExists:
        return None
    return f"{REPORTS_CONTAINER}/{name}"


def report_facts(services: Services, message: FileEnded) -> ReportFacts:
    """The report's facts from the event (its issues read from the claim-check when they went by blob)."""
    data: FileEndedData = message.data
    records = list(iter_records(services.blobs, data.issues))
    return ReportFacts(file_id=data.file_id, state=data.state, blob_name=data.blob_name,
                       ended_at=message.occurred_at, msg_id=data.msg_id, nb_of_txs=data.nb_of_txs,
                       ctrl_sum=data.ctrl_sum, errors=issues_from(records, "error"),
                       error_count=data.error_count,
                       warnings=issues_from(records, "warning"), duplicate_of=data.duplicate_of,
                       failed_step=data.failed_step)
