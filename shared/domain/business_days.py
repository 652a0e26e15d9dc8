"""Business days and the bank's date: when a payment can be executed, and what "today" is.

A euro payment settles through TARGET2, so its closing days are the ECB/TARGET financial calendar
(`holidays.financial_holidays("XECB")`: New Year's Day, Good Friday, Easter Monday, 1 May, 25 and 26
December); another currency follows its country's public holidays where `holidays` has them. Weekends
are never business days. "Today" is the bank's date in one time zone: after the cut-off time, today's
date already means the next business day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DEFAULT_TIME_ZONE = "Europe/Berlin"
DEFAULT_CUT_OFF = time(15, 0)
# The country whose public holidays close a currency's payment system (EUR: the TARGET2 calendar).
CURRENCY_COUNTRY = {
    "CHF": "CH", "GBP": "GB", "JPY": "JP", "USD": "US", "SEK": "SE", "NOK": "NO", "DKK": "DK", "PLN": "PL",
    "CZK": "CZ", "HUF": "HU", "RON": "RO", "BGN": "BG", "ISK": "IS", "CAD": "CA", "AUD": "AU", "NZD": "NZ",
    "CNY": "CN", "HKD": "HK", "SGD": "SG", "KRW": "KR", "INR": "IN", "ZAR": "ZA", "MXN": "MX", "BRL": "BR",
    "TRY": "TR", "AED": "AE", "SAR": "SA", "ILS": "IL", "BHD": "BH", "KWD": "KW", "OMR": "OM", "JOD": "JO",
    "TND": "TN",
}  # fmt: skip
_LOOK_AHEAD = 31  # no calendar closes for a month; beyond that the calendar data is wrong


@lru_cache(maxsize=256)
def closing_days(currency: str, year: int) -> dict[date, str]:
    """The holidays (with their names) on which `currency`'s payments are not executed in `year`."""
    if currency == "EUR":
        return dict(holidays.financial_holidays("XECB", years=year))
    country = CURRENCY_COUNTRY.get(currency)
    if country is None:
        return {}
    try:
        return dict(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the installed calendar does not cover: weekends only
        return {}


def why_closed(day: date, currency: str) -> str:
    """`a Saturday`, `Christmas Day (a TARGET2 closing day)`: why `day` is not a business day."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    calendar = "a TARGET2 closing day" if currency == "EUR" else f"a {currency} bank holiday"
    return f"{closing_days(currency, day.year).get(day, 'a holiday')} ({calendar})"


def is_business_day(day: date, currency: str) -> bool:
    return day.weekday() < 5 and day not in closing_days(currency, day.year)


def next_business_day(day: date, currency: str) -> date:
    """`day` itself if it is a business day, else the first one after it."""
    return _step(day, currency, 1)


def previous_business_day(day: date, currency: str) -> date:
    """`day` itself if it is a business day, else the last one before it."""
    return _step(day, currency, -1)


def _step(day: date, currency: str, direction: int) -> date:
    for _ in range(_LOOK_AHEAD):
        if is_business_day(day, currency):
            return day
        day += timedelta(days=direction)
    raise ValueError(f"no {currency} business day within {_LOOK_AHEAD} days of {day}")


def bank_date(now: datetime, time_zone: str = DEFAULT_TIME_ZONE, cut_off: time = DEFAULT_CUT_OFF) -> date:
    """The bank's date at the instant `now`: the date in `time_zone`, or, from the cut-off time on, the
    next (TARGET) business day after it, because a file that arrives then is executed no sooner."""
    local = now.astimezone(ZoneInfo(time_zone))
    if local.time() < cut_off:
        return local.date()
    return next_business_day(local.date() + timedelta(days=1), "EUR")
