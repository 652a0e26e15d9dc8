"""The timer trigger's schedule rules, pure: NCRONTAB parsing, next occurrences, past-due and startup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from functions_devhost.errors import DevhostError
from functions_devhost.triggers.ncrontab import parse_schedule
from functions_devhost.triggers.timer import ScheduleStatus, first_occurrence

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 10, 2, 30, 500, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0 */5 * * * *", datetime(2026, 12, 1, 10, 5, 0, tzinfo=UTC)),
        ("*/10 * * * * *", datetime(2026, 12, 1, 10, 2, 40, tzinfo=UTC)),
        ("0 0 9 * * 1-5", datetime(2026, 12, 2, 9, 0, 0, tzinfo=UTC)),
        ("0 30 9 * * Mon", datetime(2026, 12, 7, 9, 30, 0, tzinfo=UTC)),
        ("0 0 0 1 Jan *", datetime(2027, 1, 1, tzinfo=UTC)),
        ("0 0 0 29 2 *", datetime(2028, 2, 29, tzinfo=UTC)),
        ("15,45 2 10 * * *", datetime(2026, 12, 1, 10, 2, 45, tzinfo=UTC)),
        ("0 0 12 * * 7", datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)),  # 7 is Sunday too
    ],
)
def test_next_occurrence(expression: str, expected: datetime) -> None:
    assert parse_schedule(expression, "F").next_after(T0) == expected


def test_day_and_weekday_restricted_means_either() -> None:
    # 13th of the month or any Friday: cron's rule, which NCrontab keeps.
    schedule = parse_schedule("0 0 0 13 * 5", "F")
    assert schedule.next_after(T0) == datetime(2026, 12, 4, tzinfo=UTC)  # Friday 4th before the 13th


def test_next_is_strictly_after() -> None:
    at = datetime(2026, 12, 1, 10, 5, 0, tzinfo=UTC)
    assert parse_schedule("0 */5 * * * *", "F").next_after(at) == at + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("*/5 * * * *", "six"),
        ("00:05:00", "TimeSpan"),
        ("0 61 * * * *", "0-59"),
        ("0 */0 * * * *", "step"),
        ("0 x * * * *", "not a number"),
    ],
)
def test_bad_schedules_say_what_to_write(expression: str, words: str) -> None:
    with pytest.raises(DevhostError, match=words) as raised:
        parse_schedule(expression, "Reconciler")
    assert "Reconciler" in str(raised.value)


def test_a_schedule_that_fires_every_ten_seconds_is_shorter_than_a_minute() -> None:
    assert parse_schedule("*/10 * * * * *", "F").shortest_interval(T0) == timedelta(seconds=10)


SCHEDULE = parse_schedule("0 */5 * * * *", "F")


def _status(next_due: datetime) -> ScheduleStatus:
    return ScheduleStatus(last=next_due - timedelta(minutes=5), next=next_due, last_updated=next_due)


def test_missed_occurrence_runs_at_once_past_due() -> None:
    missed = datetime(2026, 12, 1, 9, 55, tzinfo=UTC)
    occurrence = first_occurrence(SCHEDULE, _status(missed), T0, run_on_startup=True)
    assert occurrence.due == missed and occurrence.past_due  # the past-due run is the startup run too


def test_run_on_startup_runs_now_when_nothing_was_missed() -> None:
    occurrence = first_occurrence(SCHEDULE, _status(T0 + timedelta(minutes=2)), T0, run_on_startup=True)
    assert occurrence.due == T0 and not occurrence.past_due


def test_a_restart_keeps_the_recorded_schedule() -> None:
    recorded = T0 + timedelta(minutes=2)
    assert first_occurrence(SCHEDULE, _status(recorded), T0, run_on_startup=False).due == recorded


def test_without_a_status_the_next_occurrence_is_from_the_schedule() -> None:
    occurrence = first_occurrence(SCHEDULE, None, T0, run_on_startup=False)
    assert occurrence.due == datetime(2026, 12, 1, 10, 5, tzinfo=UTC) and not occurrence.past_due


def test_status_round_trips_in_the_hosts_field_names() -> None:
    status = _status(datetime(2026, 12, 1, 10, 5, tzinfo=UTC))
    document = status.to_json()
    assert set(document) == {"Last", "Next", "LastUpdated"} and document["Next"] == "2026-12-01T10:05:00Z"
    assert ScheduleStatus.from_json(document) == status
