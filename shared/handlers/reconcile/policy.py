"""How long the reconciler waits before it acts, how much one run may do, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

# A blob event is normally handled within seconds; Event Grid's own first retries take minutes.
DEFAULT_UNSEEN_AFTER = timedelta(minutes=5)
# Longer than a step can take without writing an event: host.json functionTimeout (10 min) times
# MaxDeliveryCount (5) is 50 minutes of timed-out deliveries; twice that leaves a margin.
DEFAULT_STALLED_AFTER = timedelta(hours=2)
DEFAULT_MAX_FILES = 200
# Attempts per stalled file (each waits `stalled_after` again, since the attempt itself is an event).
DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ReconcilePolicy:
    unseen_after: timedelta = DEFAULT_UNSEEN_AFTER
    stalled_after: timedelta = DEFAULT_STALLED_AFTER
    max_files: int = DEFAULT_MAX_FILES
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@dataclass
class ReconcileReport:
    """What one run found and did; logged as one line with these as dimensions."""

    eventgrid_dead_lettered: int = 0
    eventgrid_unreadable: int = 0
    unseen_driven: int = 0
    stalled_redriven: int = 0
    stalled_failed: int = 0
    gave_up: int = 0
    open_closed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def repairs(self) -> int:
        return self.eventgrid_dead_lettered + self.unseen_driven + self.stalled_redriven + self.stalled_failed

    def as_dimensions(self) -> dict[str, int]:
        return {
            "eventgrid_dead_lettered": self.eventgrid_dead_lettered,
            "eventgrid_unreadable": self.eventgrid_unreadable,
            "unseen_driven": self.unseen_driven,
            "stalled_redriven": self.stalled_redriven,
            "stalled_failed": self.stalled_failed,
            "gave_up": self.gave_up,
            "open_closed": self.open_closed,
            "errors": len(self.errors),
            "repairs": self.repairs,
        }
