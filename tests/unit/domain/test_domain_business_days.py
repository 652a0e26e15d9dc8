"""The calendar and the bank's date: TARGET2 for euro, the country's holidays otherwise, a cut-off time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from shared.adapters.clock import SystemClock
from shared.domain.business_days import bank_date, is_business_day, next_business_day, previous_business_day
from shared.settings import ConfigurationError, Settings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("day", "currency", "open_"),
    [
        (date(2027, 1, 2), "EUR", False),  # a Saturday
        (date(2026, 12, 25), "EUR", False),  # TARGET2 closed
        (date(2027, 3, 26), "EUR", False),  # Good Friday
        (date(2026, 12, 24), "EUR", True),
        (date(2027, 8, 2), "CHF", True),
        (date(2027, 1, 11), "JPY", False),  # Coming of Age Day, a Japanese holiday
        (date(2027, 1, 11), "EUR", True),
    ],
)
def test_business_days_follow_the_currencys_calendar(day: date, currency: str, open_: bool) -> None:
    assert is_business_day(day, currency) is open_


def test_moving_to_a_business_day() -> None:
    assert next_business_day(date(2026, 12, 25), "EUR") == date(2026, 12, 28)
    assert previous_business_day(date(2026, 12, 26), "EUR") == date(2026, 12, 24)
    assert next_business_day(date(2026, 12, 1), "EUR") == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("instant", "today"),
    [
        (datetime(2026, 12, 1, 13, 59, tzinfo=UTC), date(2026, 12, 1)),  # 14:59 in Berlin
        (datetime(2026, 12, 1, 14, 0, tzinfo=UTC), date(2026, 12, 2)),  # 15:00: the cut-off has passed
        (datetime(2026, 12, 4, 15, 0, tzinfo=UTC), date(2026, 12, 7)),  # Friday after cut-off: Monday
        (datetime(2026, 12, 24, 16, 0, tzinfo=UTC), date(2026, 12, 28)),  # Christmas closes two days
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 2)),  # already 2 December in Berlin
    ],
)
def test_the_banks_date_is_in_its_time_zone_with_a_cut_off(instant: datetime, today: date) -> None:
    assert bank_date(instant) == today


def test_other_zones_and_cut_offs() -> None:
    instant = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    assert bank_date(instant, "Europe/London", time(15, 0)) == date(2026, 12, 1)
    assert bank_date(instant, "Europe/London", time(14, 0)) == date(2026, 12, 2)


class _Clock(SystemClock):
    def now(self) -> datetime:
        return datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_the_clock_uses_the_rule_unless_the_date_is_pinned() -> None:
    assert _Clock().today() == date(2026, 12, 7)
    assert _Clock(pinned_today=date(2026, 11, 20)).today() == date(2026, 11, 20)  # a rehearsal's date


def test_the_settings_name_a_bad_zone_or_cut_off() -> None:
    assert Settings.from_env({}).bank_time_zone == "Europe/Berlin"
    assert Settings.from_env({}).bank_cut_off == time(15, 0)
    assert Settings.from_env({"BANK_CUT_OFF": "16:30"}).bank_cut_off == time(16, 30)
    with pytest.raises(ConfigurationError, match="BANK_TIME_ZONE='Mars/Olympus'"):
        _ = Settings.from_env({"BANK_TIME_ZONE": "Mars/Olympus"}).bank_time_zone
    with pytest.raises(ConfigurationError, match="BANK_CUT_OFF='3pm'"):
        _ = Settings.from_env({"BANK_CUT_OFF": "3pm"}).bank_cut_off
