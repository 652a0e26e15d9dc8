"""Blobs in `incoming/` that no trigger ever ran for: no timeline, first sighted `unseen_after` ago.

The sweep cannot know a blob's age from its name, and the BlobStore port has no listing with times, so
it records when it first saw each version without a timeline (`reconciler/sightings/<file id>.json`) and
acts on a later run. A blob is normally gone from `incoming/` within seconds, so sightings are rare; a
blob that shows up with a timeline later (the trigger was just slow) has its sighting forgotten. A blob
whose file already ended but which is still there (a crash before the validator's last delete) is driven
too: the validator recognises the ended file and only deletes it. A blob whose timeline has started is
put on the stalled-file sweep's work list (`timeline.mark_open`, create-if-absent): the validator marks a
file open only when it claims, so a run that stopped before that is watched from here.
"""

from __future__ import annotations

import logging
from itertools import islice

from shared.handlers.identity import incoming_file_id
from shared.handlers.reconcile.claims import forget_sighting, sighted_at
from shared.handlers.reconcile.drive import current_version, drive_through_validator, has_timeline
from shared.handlers.reconcile.policy import ReconcilePolicy, ReconcileReport
from shared.handlers.timeline import mark_open, read_terminal, stamp
from shared.services import Services
from shared.topology import INCOMING_CONTAINER

log = logging.getLogger(__name__)


def drive_unseen_blobs(services: Services, policy: ReconcilePolicy, report: ReconcileReport) -> None:
    now = services.clock.now()
    for blob_name in islice(services.blobs.list_names(INCOMING_CONTAINER), policy.max_files):
        version = current_version(services, blob_name)
        if version is None:
            continue
        file_id = incoming_file_id(blob_name, version)
        ended = read_terminal(services.blobs, file_id) is not None
        if has_timeline(services, file_id) and not ended:
            # In flight: handed to the stalled-file sweep, which watches it from here on (the validator
            # marks a file open only as it claims; one that stops before that is found here).
            mark_open(services.blobs, file_id, stamp(now))
            forget_sighting(services.blobs, file_id)
            continue
        first_seen = sighted_at(services.blobs, services.clock, file_id, blob_name)
        waited = now - first_seen
        if waited < policy.unseen_after:
            continue
        reason = (f"incoming/{blob_name} {'ended but was not removed' if ended else 'has no received event'} "
                  f"{int(waited.total_seconds())} s after it was first seen (a lost blob event)")
        if drive_through_validator(services, blob_name, version, act="unseen", reason=reason, report=report):
            report.unseen_driven += 1
