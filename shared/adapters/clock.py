"""The real clock: timezone-aware UTC instants, and the bank's business date (pinnable for rehearsals)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time

from shared.domain.business_days import DEFAULT_CUT_OFF, DEFAULT_TIME_ZONE, bank_date
from shared.settings import Settings


class SystemClock:
    """`now()` is always the real instant. `today()` is the bank's date (`business_days.bank_date`: the
    date in the bank's time zone, the next business day from the cut-off on), or `pinned_today` when
    set: a test or rehearsal can move the bank's date (`PIPELINE_TODAY`) without moving timestamps."""

    def __init__(
        self,
        pinned_today: date | None = None,
        time_zone: str = DEFAULT_TIME_ZONE,
        cut_off: time = DEFAULT_CUT_OFF,
    ) -> None:
        self.pinned_today = pinned_today
        self.time_zone = time_zone
        self.cut_off = cut_off

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.pinned_today or bank_date(self.now(), self.time_zone, self.cut_off)


def clock_from_environment(environ: Mapping[str, str]) -> SystemClock:
    """The clock the functions use, for tools beside them (the dry run, the stack, the benchmarks), so a
    pinned `PIPELINE_TODAY`, `BANK_TIME_ZONE` and `BANK_CUT_OFF` mean the same day everywhere. A
    malformed value is a `ConfigurationError`."""
    return clock_from_settings(Settings.from_env(environ))


def clock_from_settings(settings: Settings) -> SystemClock:
    """The one place the clock is built from the settings (the functions' bootstrap and the tools)."""
    return SystemClock(settings.pipeline_today, settings.bank_time_zone, settings.bank_cut_off)
