"""FileValidator's work: a blob in `incoming/` becomes rejected, duplicate, or a `file.validated` message.

The file is streamed from the BlobStore (never the trigger's bound bytes), hashed, validated, copied
to a spool and staged as its archive blob in one pass, so the archived (or rejected) original is exactly
the version that was validated and the blob is read once; the archive is committed only if the file is
accepted. Valid rows are spooled, not held in memory (the copy spills to disk when big; the records go
to a staged blob as they come). Every write is deterministic or conditional, and the incoming blob is
deleted last (with its ETag), so a redelivery at any point converges on the same end.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, cast

from shared.contracts import BlobReference, DebtorData, EndingIssue, FileValidated, FileValidatedData, Payload
from shared.contracts.timeline import TerminalRecord
from shared.domain.fingerprint import PaymentsFingerprint
from shared.domain.payments import Payment
from shared.domain.reference import ReferenceTable
from shared.domain.validation import ValidationResult, validate_payment_file
from shared.handlers import registry
from shared.handlers.blobops import base_name, copy_blob, staged_write, tee
from shared.handlers.claimcheck import SPOOLED_SUFFIX, RecordSpool, staging_prefix
from shared.handlers.debtor import debtor_data
from shared.handlers.ending import announce_ending, issue_record, refused_ending
from shared.handlers.identity import incoming_file_id, normalise_etag, sender_or_none
from shared.handlers.inbound import record_failure
from shared.handlers.payment_claims import (
    ClaimRequest,
    PaymentIds,
    claim_payments,
    duplicate_report,
    release_payments,
)
from shared.handlers.publishing import publish
from shared.handlers.timeline import (
    EndingRecord,
    claim_ending_record,
    ending_state,
    read_terminal,
    record_event,
    record_received,
    record_terminal,
    stamp,
    timeline_prefix,
)
from shared.ports import BlobChanged, BlobNotFound, BlobWriter, StreamedBlob
from shared.services import Services
from shared.streams import HashTally
from shared.topology import FILE_VALIDATED_QUEUE, INCOMING_CONTAINER, REJECTED_CONTAINER, WORKFLOW_CONTAINER

log = logging.getLogger(__name__)
STEP = "validator"
ORIGINAL_IN_MEMORY = 1024 * 1024  # the copy of the original spills to a temporary file beyond this
REFUSALS = ("rejected", "duplicate")  # the endings the validator itself records


@dataclass(frozen=True)
class ValidatorOutcome:
    state: Literal["validated", "rejected", "duplicate", "already_processed", "gone", "superseded"]
    file_id: str
    detail: str = ""


@dataclass(frozen=True)
class IncomingFile:
    blob_name: str
    etag: str
    file_id: str
    sender: str | None
    sender_problem: str


@dataclass(frozen=True)
class OpenedFile:
    """An incoming version whose read has begun: its identity and the stream to validate."""

    file: IncomingFile
    reader: StreamedBlob


def handle_incoming_file(services: Services, blob_name: str, etag: str | None = None) -> ValidatorOutcome:
    """Process `incoming/<blob_name>`; `etag` is the version the trigger saw (read from storage if None)."""
    opened = open_incoming(services, blob_name, etag)
    return opened if isinstance(opened, ValidatorOutcome) else validate_opened(services, opened)


def open_incoming(services: Services, blob_name: str,
                  etag: str | None = None) -> OpenedFile | ValidatorOutcome:
    """Start reading `incoming/<blob_name>`, which names the file (its id comes from the version read);
    an outcome instead when it is gone, or was replaced after the trigger saw version `etag`."""
    try:
        reader = services.blobs.open_reader(INCOMING_CONTAINER, blob_name)
    except BlobNotFound:
        log.warning("incoming/%s is gone; a previous attempt already finished it", blob_name)
        return ValidatorOutcome("gone", "", f"incoming/{blob_name} no longer exists")
    version = normalise_etag(etag or reader.etag)
    sender, problem = sender_or_none(blob_name)
    file = IncomingFile(blob_name, version, incoming_file_id(blob_name, version), sender, problem)
    if version != normalise_etag(reader.etag):
        reader.stream.close()
        return _superseded(services, file, normalise_etag(reader.etag))  # before it was read
    return OpenedFile(file, reader)


def validate_opened(services: Services, opened: OpenedFile) -> ValidatorOutcome:
    """Validate the opened version to its end: rejected, duplicate, or published as `file.validated`."""
    file, reader = opened.file, opened.reader
    try:
        services.faults.check(STEP, file.blob_name)
        return _process(services, file, reader)
    except Exception as exc:
        record_failure(services, file.file_id, STEP, exc, None)
        raise
    finally:
        reader.stream.close()


def _current_version(services: Services, file: IncomingFile) -> str:
    try:
        reader = services.blobs.open_reader(INCOMING_CONTAINER, file.blob_name)
    except BlobNotFound:
        return "deleted"
    reader.stream.close()
    return normalise_etag(reader.etag)


def _superseded(services: Services, file: IncomingFile, current: str,
                when: str = "before it was read") -> ValidatorOutcome:
    """The version the trigger saw was replaced (or deleted) before we could read all of it; the new
    version has its own trigger (and its own file id), so this one must not validate the new bytes under
    the old version's id. Nothing of this version was kept, so there is nothing to undo."""
    detail = f"incoming/{file.blob_name} was replaced (version {file.etag} -> {current}) {when}"
    log.warning("%s; leaving it to the new version's trigger", detail)
    if next(services.blobs.list_names(WORKFLOW_CONTAINER, timeline_prefix(file.file_id)), None):
        record_event(services.blobs, services.clock, file.file_id, "superseded", blob_name=file.blob_name,
                     etag=file.etag, replaced_by=current)
    return ValidatorOutcome("superseded", file.file_id, detail)


def _process(services: Services, file: IncomingFile, reader: StreamedBlob) -> ValidatorOutcome:
    received = record_received(services.blobs, services.clock, file.file_id, sender=file.sender or "",
                               blob_name=file.blob_name, etag=file.etag, size=reader.size)
    if received is None:  # a retry: an earlier attempt may have ended the file
        terminal = read_terminal(services.blobs, file.file_id)
        if terminal is not None:
            return _already_processed(services, file, terminal)
    # A first attempt reads no state: whatever ends the file otherwise meanwhile (another run, the
    # poison path, the reconciler) claims the ending first, and this run checks the claim before every
    # decisive act (`_ended_meanwhile`, `_ending_otherwise`).
    if file.sender is None:
        problem = {"row": None, "column": None, "code": "missing_sender_folder",
                   "message": file.sender_problem}
        return _reject(services, file, {"state": "rejected", "error_count": 1, "errors": [problem]})
    reference = services.reference.load()  # once: validated and named from the same version of the table
    staged = f"{staging_prefix(file.file_id)}validated{SPOOLED_SUFFIX}"
    with (RecordSpool(services.blobs, staged, services.claim_check_threshold) as spool,
          tempfile.SpooledTemporaryFile(max_size=ORIGINAL_IN_MEMORY) as copy,
          staged_write(services.blobs, WORKFLOW_CONTAINER, _archive_name(file)) as archived,
          contextlib.closing(PaymentIds(file.sender)) as ids):  # fmt: skip
        original = cast(BinaryIO, copy)
        # The copy serves a rejection; the archive of an accepted file is staged as it is read.
        tally = HashTally(reader.stream, copy_to=tee(original, archived))
        collect = _Collect(spool, PaymentsFingerprint(), ids)
        try:
            result = _validate(services, file.sender, reference, tally, collect)
        except BlobChanged:
            # Replaced or deleted mid-read: this version cannot be read to its end, and nothing was
            # written yet (the copy is a spool; claims come after the read). The new one has its own trigger.
            return _superseded(services, file, _current_version(services, file), "while it was read")
        if not result.valid:
            return _reject(services, file, result.to_report(), original)
        services.publisher.ready()  # a bad Service Bus setting fails here, before any side effect
        fingerprint = collect.fingerprint.hexdigest
        owner = registry.claim(services.blobs, services.clock, sender=file.sender, fingerprint=fingerprint,
                               file_id=file.file_id, blob_name=file.blob_name)
        if owner is not None:
            return _duplicate(services, file, owner, fingerprint, original)
        policy = reference.senders[file.sender]  # a valid file's sender is registered
        refused = _claim_payments(services, file, policy.duplicate_window_days, collect.ids, original,
                                  fingerprint=fingerprint)
        if refused is not None:
            return refused
        return _accept(services, file, result, spool, tally.hexdigest, archived=archived,
                       sender_name=policy.name, debtor=debtor_data(policy), fingerprint=fingerprint)


def _already_processed(services: Services, file: IncomingFile,
                       terminal: TerminalRecord) -> ValidatorOutcome:
    announce_ending(services, file.file_id)  # a crash may have come between recording and announcing
    _delete_incoming(services, file)
    return ValidatorOutcome("already_processed", file.file_id, str(terminal.get("state")))


def _claim_payments(services: Services, file: IncomingFile, window_days: int, ids: PaymentIds,
                    original: BinaryIO, *, fingerprint: str) -> ValidatorOutcome | None:
    """Claim the file's payment ids; a rejection naming the earlier files if another holds any."""
    sender = file.sender or ""
    request = ClaimRequest(sender, file.file_id, file.blob_name, window_days)
    duplicates = claim_payments(services, request, ids)
    if not duplicates:
        return None
    # Released before the terminal state: a file seen `rejected` holds nothing any more.
    release_payments(services, sender, file.file_id)
    registry.release(services.blobs, sender=sender, fingerprint=fingerprint, file_id=file.file_id)
    report = duplicate_report(duplicates, sender, window_days)
    return _reject(services, file, report, original, duplicate_of=report["duplicate_of"])


@dataclass(frozen=True)
class _Collect:
    """What the validator keeps of each valid payment: its record (spooled), its share of the file's
    fingerprint, and its id and row for the payment claims (spilled in claim order: bounded memory)."""

    spool: RecordSpool
    fingerprint: PaymentsFingerprint
    ids: PaymentIds

    def __call__(self, payment: Payment) -> None:
        self.spool.add(payment.to_record())
        self.fingerprint.add(payment)
        self.ids.add(payment.payment_id, payment.row)


def _validate(services: Services, sender: str, reference: ReferenceTable, tally: HashTally,
              collect: _Collect) -> ValidationResult:
    result = validate_payment_file(
        tally.reader,
        sender=sender,
        reference=reference,
        today=services.clock.today(),
        on_payment=collect,
    )
    tally.drain()  # the digest must cover the whole file even if validation stopped early
    return result


def _archive_name(file: IncomingFile) -> str:
    return f"archive/{file.file_id}/{base_name(file.blob_name)}"


def _accept(services: Services, file: IncomingFile, result: ValidationResult, spool: RecordSpool,
            sha256: str, *, archived: BlobWriter, sender_name: str, debtor: DebtorData,
            fingerprint: str) -> ValidatorOutcome:
    sender = file.sender or ""
    archive = _archive_name(file)
    archived.commit()  # the original, staged block by block as it was read, hashed and checked
    payload = spool.to_payload()
    ended = _ended_meanwhile(services, file, archive, payload, fingerprint)
    if ended is not None:
        return ended
    warnings = result.warnings_report()
    carried = [EndingIssue.model_validate(issue_record("warning", w)) for w in warnings]  # for file.ended
    data = FileValidatedData(file_id=file.file_id, sender=sender, sender_name=sender_name,
                             blob_name=file.blob_name,
                             content_sha256=sha256, row_count=result.row_count,
                             control_sum=result.control_sum, payload=payload, debtor=debtor,
                             warnings=carried)
    message = FileValidated(message_id=f"{file.file_id}:validated", correlation_id=file.file_id,
                            causation_id=f"{file.file_id}:received", occurred_at=services.clock.now(),
                            source="FileValidator", data=data)
    publish(services, FILE_VALIDATED_QUEUE, message)
    record_event(services.blobs, services.clock, file.file_id, "validated", row_count=result.row_count,
                 control_sum=str(result.control_sum), payload=payload.kind, archive=f"workflow/{archive}",
                 warning_count=result.warning_count, warnings=warnings)
    _delete_incoming(services, file)
    return ValidatorOutcome("validated", file.file_id)


def _ended_meanwhile(services: Services, file: IncomingFile, archive: str, payload: Payload,
                     fingerprint: str) -> ValidatorOutcome | None:
    """Check after acting: another run of the same upload may have ended the file while we archived and
    staged (its chain can even have failed and been compensated); undo what this run just added."""
    # One read: terminal.json answers both "has it ended" (a run that refused it, a give-up) and "is a
    # compensation at work" (`failed` claimed, not yet recorded; our archive copy and registry entry
    # must not outlive it).
    state = ending_state(services.blobs, file.file_id)
    if state is None:
        return None
    if isinstance(payload, BlobReference):
        services.blobs.delete(WORKFLOW_CONTAINER, payload.name)
    if state != "delivered":
        services.blobs.delete(WORKFLOW_CONTAINER, archive)
        # With the fingerprint in hand: the run that ended the file may have closed the open marker.
        registry.release(services.blobs, sender=file.sender or "", fingerprint=fingerprint,
                         file_id=file.file_id)
        release_payments(services, file.sender or "", file.file_id)
    _delete_incoming(services, file)
    log.warning("file %s ended %s while this run was staging it; undid its copies", file.file_id, state)
    return ValidatorOutcome("already_processed", file.file_id, state)


def _reject(services: Services, file: IncomingFile, report: dict[str, Any],
            original: BinaryIO | None = None, **terminal: Any) -> ValidatorOutcome:
    claim = _ending_otherwise(services, file, "rejected")
    if isinstance(claim, ValidatorOutcome):
        return claim
    full = {**report, "file_id": file.file_id, "sender": file.sender, "blob_name": file.blob_name,
            "reported_at": stamp(services.clock.now())}
    _write_rejection(services, file, full, original)
    recorded = record_terminal(services.blobs, services.clock, file.file_id, "rejected",
                               replacing="our claim", claim=claim, error_count=report["error_count"],
                               report=f"{REJECTED_CONTAINER}/{file.file_id}/report.json", **terminal)
    _announce(services, file, recorded, full, original)  # before the delete: a failure leaves the blob
    _delete_incoming(services, file)
    return ValidatorOutcome("rejected", file.file_id, f"{report['error_count']} error(s)")


def _duplicate(services: Services, file: IncomingFile, owner: str, fingerprint: str,
               original: BinaryIO) -> ValidatorOutcome:
    claim = _ending_otherwise(services, file, "duplicate")
    if isinstance(claim, ValidatorOutcome):
        return claim
    report = {"state": "duplicate", "file_id": file.file_id, "sender": file.sender,
              "blob_name": file.blob_name, "duplicate_of": owner, "payments_fingerprint": fingerprint,
              "reported_at": stamp(services.clock.now()),
              "message": f"the same payments were already delivered or are in flight as file {owner} "
                         "(compared payment by payment: line endings, a BOM or the order of the rows "
                         "make no difference); nothing was sent again"}
    _write_rejection(services, file, report, original)
    recorded = record_terminal(services.blobs, services.clock, file.file_id, "duplicate",
                               replacing="our claim", claim=claim, duplicate_of=owner,
                               report=f"{REJECTED_CONTAINER}/{file.file_id}/report.json")
    _announce(services, file, recorded, report, original)
    _delete_incoming(services, file)
    return ValidatorOutcome("duplicate", file.file_id, owner)


def _ending_otherwise(services: Services, file: IncomingFile,
                      refusal: Literal["rejected", "duplicate"]) -> ValidatorOutcome | EndingRecord:
    """Claim the ending before a refusal writes anything (the claim, to be replaced by the record); an
    outcome instead when the file ended, or is ending, otherwise (the poison path or a give-up claimed
    `failed`): nothing is written over that.

    A refusal claimed by an earlier attempt of this validator is ours to finish, whichever it was."""
    won = claim_ending_record(services.blobs, services.clock, file.file_id, refusal)
    if won.terminal is None and won.state in REFUSALS:
        return won
    if won.terminal is not None:
        return _already_processed(services, file, won.terminal)
    log.warning("file %s is ending %s; not recording it %s", file.file_id, won.state, refusal)
    return ValidatorOutcome("already_processed", file.file_id, won.state)  # its owner removes the upload


def _announce(services: Services, file: IncomingFile, recorded: TerminalRecord | None,
              report: dict[str, Any], original: BinaryIO | None) -> None:
    """`file.ended` from the report and the original in hand; read back if another run ended it first."""
    known = None if recorded is None else refused_ending(recorded, file.sender or "", file.blob_name,
                                                         report, original)
    announce_ending(services, file.file_id, known)


def _write_rejection(services: Services, file: IncomingFile, report: dict[str, Any],
                     original: BinaryIO | None) -> None:
    target = (REJECTED_CONTAINER, f"{file.file_id}/{base_name(file.blob_name)}")
    _store_original(services, file, original, target)
    services.blobs.write(REJECTED_CONTAINER, f"{file.file_id}/report.json",
                         json.dumps(report, indent=2, default=str).encode("utf-8"))


def _store_original(services: Services, file: IncomingFile, original: BinaryIO | None,
                    target: tuple[str, str]) -> None:
    """Write the original from the copy taken while validating (the bytes that were hashed and checked);
    a file rejected before it was read (no sender folder) is copied from `incoming/`."""
    if original is None:
        copy_blob(services.blobs, (INCOMING_CONTAINER, file.blob_name), target)
        return
    original.seek(0)
    services.blobs.write(*target, original, overwrite=True)


def _delete_incoming(services: Services, file: IncomingFile) -> None:
    try:
        services.blobs.delete(INCOMING_CONTAINER, file.blob_name, if_match=file.etag)
    except BlobChanged:
        # Re-uploaded meanwhile: the new version is a new file with its own trigger; leave it alone.
        log.info("incoming/%s changed since version %s; leaving the new upload", file.blob_name, file.etag)
