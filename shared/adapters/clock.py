"""The real clock: timezone-aware UTC instants, and the bank's business date (pinnable for rehearsals)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from shared.settings import PIPELINE_TODAY_SETTING, parse_pipeline_today


class SystemClock:
    """`now()` is always the real instant. `today()` is the UTC date, or `pinned_today` when set:
    a test or rehearsal can move the bank's date (`PIPELINE_TODAY`) without moving timestamps."""

    def __init__(self, pinned_today: date | None = None) -> None:
        self.pinned_today = pinned_today

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.pinned_today or self.now().date()


def clock_from_environment(environ: Mapping[str, str]) -> SystemClock:
    """The clock the functions use, for tools beside them (the dry run, the stack, the benchmarks), so a
    pinned `PIPELINE_TODAY` means the same day everywhere. A malformed value is a `ConfigurationError`."""
    return SystemClock(pinned_today=parse_pipeline_today(environ.get(PIPELINE_TODAY_SETTING, "")))
