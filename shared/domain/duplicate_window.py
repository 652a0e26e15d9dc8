"""When an earlier claim on a payment id makes a new file's payment a duplicate: the one rule.

A sender's `duplicate_window_days` (reference table, default 90; 0 turns the check off) says how long
a delivered payment id stays taken. A claim counts while its owner is in flight or delivered, and only
within the window (from the delivery, or from the claim while in flight). A claim whose owner ended
`rejected`, `failed` or `duplicate` holds nothing: it is left over from a crash before its release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ENDED_WITHOUT_DELIVERY = frozenset({"rejected", "failed", "duplicate"})


@dataclass(frozen=True)
class OwnerState:
    """What the earlier file's timeline says: its terminal state (None while in flight) and since when."""

    state: str | None
    since: datetime


def claim_blocks(owner: OwnerState, now: datetime, window_days: int) -> bool:
    """True if the earlier claim makes the new payment a duplicate; False if the claim may be taken."""
    if window_days <= 0 or owner.state in ENDED_WITHOUT_DELIVERY:
        return False
    return now - owner.since < timedelta(days=window_days)
