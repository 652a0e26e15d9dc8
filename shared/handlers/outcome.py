"""What a handler returns: a business outcome the function logs (failures raise instead)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.handlers.ending import announce_ending
from shared.handlers.timeline import read_ending, read_terminal
from shared.ports import BlobStore
from shared.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepOutcome:
    state: str
    file_id: str
    detail: str = ""


def already_ended(services: Services, file_id: str, doing: str) -> StepOutcome | None:
    """A `skipped` outcome if the file already has a terminal state (a late redelivery), else None."""
    terminal = read_terminal(services.blobs, file_id)
    if terminal is None:
        return None
    announce_ending(services, file_id)  # the writer may have crashed before announcing the end
    log.warning("file %s already ended %s; not %s", file_id, terminal.get("state"), doing)
    return StepOutcome("skipped", file_id, f"already {terminal.get('state')}")


def discard_if_ended(blobs: BlobStore, file_id: str, container: str, name: str) -> bool:
    """Check after acting: delete what a late redelivery just staged if the file ended meanwhile.

    `already_ended` runs before the work, so a file can end (the creator's or a compensation's clean-up
    done) while a redelivered step is still staging; its staged blob would then be left behind forever.
    """
    # No claim: nothing has ended (a terminal state is recorded after one). A `delivered` claim without a
    # terminal state is a creator still committing: it may need this very blob again if it crashes, and
    # it cleans staging up itself once it has recorded the state.
    claim = read_ending(blobs, file_id)
    if claim is None or (claim == "delivered" and read_terminal(blobs, file_id) is None):
        return False
    blobs.delete(container, name)
    log.warning("file %s ended while %s/%s was being staged; removed it", file_id, container, name)
    return True
