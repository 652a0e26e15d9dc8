"""Compensations on the `file-failed` topic: each step undoes its own completed work, idempotently.

The adaptor deletes its staged document and hands over to the validator (reverse order). The validator
first claims the ending `failed` (a file the creator committed to delivering is left alone), then
releases its registry claim and its payment claims (only those naming this file), moves the original
to `failed/<file id>/` with `reason.json`, removes everything staged (and any output), and records the
terminal `failed` state last.
"""

from __future__ import annotations

import json
import logging

from shared.contracts import FileFailed, FileFailedData
from shared.handlers import registry
from shared.handlers.adaptor import canonical_name
from shared.handlers.blobops import base_name, copy_blob, delete_prefix
from shared.handlers.claimcheck import staging_prefix
from shared.handlers.creator import output_name
from shared.handlers.deadletter import publish_failed
from shared.handlers.ending import announce_ending, reason_name
from shared.handlers.inbound import Delivery, run_step
from shared.handlers.originals import Original, locate_original
from shared.handlers.outcome import StepOutcome, already_ended
from shared.handlers.payment_claims import release_payments
from shared.handlers.timeline import (
    annotate_terminal,
    claim_ending,
    read_terminal,
    record_event,
    stamp,
    write_terminal,
)
from shared.ports import BlobChanged
from shared.services import Services
from shared.topology import FAILED_CONTAINER, OUTGOING_CONTAINER, WORKFLOW_CONTAINER

log = logging.getLogger(__name__)


def handle_adaptor_compensation(services: Services, delivery: Delivery) -> StepOutcome:
    return run_step(services, delivery, "adaptor-compensation", FileFailed,
                    lambda message: _undo_adaptor(services, delivery, message))


def handle_validator_compensation(services: Services, delivery: Delivery) -> StepOutcome:
    return run_step(services, delivery, "validator-compensation", FileFailed,
                    lambda message: _undo_validator(services, message))


def _undo_adaptor(services: Services, delivery: Delivery, message: FileFailed) -> StepOutcome:
    data = message.data
    deleted = services.blobs.delete(WORKFLOW_CONTAINER, canonical_name(data.file_id))
    record_event(services.blobs, services.clock, data.file_id, "compensated", step="adaptor",
                 deleted_staged_document=deleted)
    publish_failed(services, data.model_copy(update={"compensate": "validator"}),
                   causation_id=message.message_id, source="AdaptorCompensation")
    return StepOutcome("compensated", data.file_id, "adaptor")


def _undo_validator(services: Services, message: FileFailed) -> StepOutcome:
    data = message.data
    skipped = _claim_failed(services, data)
    if skipped is not None:
        return skipped
    original = locate_original(services.blobs, data)
    registry.release_for(services.blobs, data.file_id)
    if data.sender:
        release_payments(services, data.sender, data.file_id)
    _move_to_failed(services, data, original)
    _write_reason(services, data, original)
    delete_prefix(services.blobs, WORKFLOW_CONTAINER, staging_prefix(data.file_id))
    if data.sender:  # a creator that wrote output then kept failing must not leave it behind
        services.blobs.delete(OUTGOING_CONTAINER, output_name(data.sender, data.file_id))
    record_event(services.blobs, services.clock, data.file_id, "compensated", step="validator",
                 original=original.describe())
    if not write_terminal(services.blobs, services.clock, data.file_id, "failed", replacing="our claim",
                          failed_step=data.failed_step, reason=data.reason, archive=data.archive,
                          needs_attention=False):
        # A replay after a person fixed what made a failure handler give up: now it is done.
        annotate_terminal(services.blobs, data.file_id, "failed", needs_attention=False,
                          compensated_at=stamp(services.clock.now()))
    announce_ending(services, data.file_id)
    return StepOutcome("failed", data.file_id, data.reason)


def _claim_failed(services: Services, data: FileFailedData) -> StepOutcome | None:
    """Claim the ending `failed` before undoing anything; a skipped outcome if there is nothing to undo.

    A creator may still be at work (its step published, then kept failing its own bookkeeping, so the
    queue dead-lettered). Whichever ends the file first wins: a creator that records `delivered` first
    keeps it (the compensation touches nothing), and a creator that finds our claim removes its output.
    A compensation redelivered after a crash finds its own claim and carries on.
    """
    terminal = read_terminal(services.blobs, data.file_id)
    if not (terminal is not None and terminal["state"] == "failed" and terminal.get("needs_attention")):
        skipped = already_ended(services, data.file_id, "compensating the validator")
        if skipped is not None:
            return skipped
    won = claim_ending(services.blobs, services.clock, data.file_id, "failed")
    if won == "failed":
        return None
    if won == "delivered":  # recorded by the creator between our check and our claim
        delete_prefix(services.blobs, WORKFLOW_CONTAINER, staging_prefix(data.file_id))
        ended = already_ended(services, data.file_id, "compensating the validator")
        return ended or StepOutcome("skipped", data.file_id, "already delivered")
    # A validator retry is recording a refusal: the file ends that way, not ours.
    log.warning("file %s is ending %s; not compensating the validator", data.file_id, won)
    return StepOutcome("skipped", data.file_id, f"already {won}")


def _move_to_failed(services: Services, data: FileFailedData, original: Original) -> None:
    if original.source is not None:
        copy_blob(services.blobs, original.source, (FAILED_CONTAINER, failed_original_name(data)))
    for container, name, etag in original.to_delete:
        try:
            services.blobs.delete(container, name, if_match=etag)
        except BlobChanged:
            log.info("%s/%s was replaced by a new upload; leaving it", container, name)


def _write_reason(services: Services, data: FileFailedData, original: Original) -> None:
    reason = {"state": "failed", "file_id": data.file_id, "sender": data.sender, "blob_name": data.blob_name,
              "failed_step": data.failed_step, "reason": data.reason, "error": data.error,
              "dead_letter_archive": data.archive, "original": original.describe(),
              "compensated_at": stamp(services.clock.now())}
    services.blobs.write(FAILED_CONTAINER, reason_name(data.file_id),
                         json.dumps(reason, indent=2, default=str).encode("utf-8"))


def failed_original_name(data: FileFailedData) -> str:
    return f"{data.file_id}/{base_name(data.blob_name) or 'original'}"
