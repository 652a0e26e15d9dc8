"""What a handler returns: a business outcome the function logs (failures raise instead)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shared.handlers.ending import announce_ending
from shared.handlers.timeline import ending_state, read_terminal
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
    # One read: terminal.json holds a claim (a compensation at work, which removes staging too) or the
    # record. The creator claims nothing before it records, so nothing here can still need the blob.
    if ending_state(blobs, file_id) is None:
        return False
    blobs.delete(container, name)
    log.warning("file %s ended while %s/%s was being staged; removed it", file_id, container, name)
    return True
