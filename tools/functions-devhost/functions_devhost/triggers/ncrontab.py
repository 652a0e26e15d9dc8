"""NCRONTAB schedules as the Functions timer trigger reads them: six fields, seconds first, in UTC.

`{second} {minute} {hour} {day} {month} {day-of-week}`, each `*`, a number, a range `a-b`, a step `*/n` or
`a-b/n`, or a comma list of those; months and weekdays also by three-letter name, Sunday = 0 (7 is Sunday
too). When both day and day-of-week are restricted, either may match (cron's rule, which NCrontab keeps).
Five-field crontabs and TimeSpan schedules (`00:05:00`, App Service plans only) are refused with a message
that says what to write instead: Flex Consumption accepts only NCRONTAB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from functions_devhost.errors import DevhostError

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names that stand for numbers)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day", 1, 31, {}),
    ("month", 1, 12, {name: i + 1 for i, name in enumerate(_MONTHS)}),
    ("day-of-week", 0, 7, {name: i for i, name in enumerate(_DAYS)}),
)
_HORIZON = timedelta(days=366 * 5)  # "0 0 0 29 2 *" fires once in four years; give up beyond that


@dataclass(frozen=True)
class Schedule:
    """A parsed NCRONTAB expression: the allowed values of each field."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_restricted: bool
    weekday_restricted: bool

    def matches_day(self, moment: datetime) -> bool:
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (whole seconds; same tzinfo as `moment`)."""
        candidate = moment.replace(microsecond=0) + timedelta(seconds=1)
        limit = moment + _HORIZON
        while candidate <= limit:
            if not self.matches_day(candidate):
                candidate = candidate.replace(hour=0, minute=0, second=0) + timedelta(days=1)
            elif candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0, second=0) + timedelta(hours=1)
            elif candidate.minute not in self.minutes:
                candidate = candidate.replace(second=0) + timedelta(minutes=1)
            elif candidate.second not in self.seconds:
                candidate += timedelta(seconds=1)
            else:
                return candidate
        raise DevhostError(f"Schedule '{self.expression}' has no occurrence in the next five years.")

    def shortest_interval(self, start: datetime) -> timedelta:
        """The gap between the next two occurrences after `start`: the host's test for useMonitor."""
        first = self.next_after(start)
        return self.next_after(first) - first


def parse_schedule(expression: str, function_name: str) -> Schedule:
    """Parse an NCRONTAB expression or raise DevhostError naming the function and the problem."""
    parts = expression.split()
    if ":" in expression and len(parts) == 1:
        raise DevhostError(
            f"Function '{function_name}': schedule '{expression}' is a TimeSpan, which only App Service "
            "plans accept; write an NCRONTAB expression such as '0 */5 * * * *' (every five minutes)."
        )
    if len(parts) != 6:
        raise DevhostError(
            f"Function '{function_name}': schedule '{expression}' has {len(parts)} fields; the timer "
            "trigger needs six, seconds first: '{second} {minute} {hour} {day} {month} {day-of-week}', "
            "for example '0 */5 * * * *'."
        )
    values = [_field(part, spec, expression, function_name)
              for part, spec in zip(parts, _FIELDS, strict=True)]
    seconds, minutes, hours, days, months, raw_weekdays = values
    return Schedule(expression, seconds, minutes, hours, days, months,
                    frozenset(0 if day == 7 else day for day in raw_weekdays),
                    day_restricted=parts[3] not in ("*", "?"), weekday_restricted=parts[5] not in ("*", "?"))


_Spec = tuple[str, int, int, dict[str, int]]


def _field(text: str, spec: _Spec, expression: str, function: str) -> frozenset[int]:
    name, low, high, names = spec
    found: set[int] = set()
    for item in text.lower().split(","):
        base, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base in ("*", "?"):
                first, last = low, high
            elif "-" in base:
                first_text, last_text = base.split("-", 1)
                first, last = _number(first_text, names), _number(last_text, names)
            else:
                first = _number(base, names)
                last = high if step_text else first
        except ValueError:
            raise DevhostError(
                f"Function '{function}': schedule '{expression}': {name} field '{text}' is not a number, "
                "range, step or list."
            ) from None
        if step < 1 or not low <= first <= last <= high:
            raise DevhostError(
                f"Function '{function}': schedule '{expression}': {name} field '{text}' must stay within "
                f"{low}-{high} with a step of at least 1."
            )
        found.update(range(first, last + 1, step))
    return frozenset(found)


def _number(text: str, names: dict[str, int]) -> int:
    return names[text] if text in names else int(text)
