"""The real clock: timezone-aware UTC instants, and the bank's business date (pinnable for rehearsals)."""

from __future__ import annotations

from datetime import UTC, date, datetime


class SystemClock:
    """`now()` is always the real instant. `today()` is the UTC date, or `pinned_today` when set:
    a test or rehearsal can move the bank's date (`PIPELINE_TODAY`) without moving timestamps."""

    def __init__(self, pinned_today: date | None = None) -> None:
        self.pinned_today = pinned_today

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.pinned_today or self.now().date()
