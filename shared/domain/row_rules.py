"""The row rules, each written once: a value goes in, its normalised form or a `Problem` comes out.

Every rule starts with the cheap test that most values pass and explains only what fails, so the
row checker (`row_checks.RowChecker`) needs no second, "detailed" copy of any rule: the verdict and
its explanation come from the same function. Rules are pure (no row numbers, no I/O), which is what
lets the checker remember a verdict per distinct value (payment files repeat accounts, names, BICs
and dates on many rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from shared.domain import issues as codes
from shared.domain.addresses import CREDITOR_ADDRESS_COLUMNS, Address
from shared.domain.charset import invalid_id_characters, to_sepa_latin
from shared.domain.currencies import MINOR_UNITS, minor_units

MAX_ID = 35  # Max35Text: EndToEndId
MAX_NAME = 70  # SEPA Nm
MAX_REMITTANCE = 140  # Max140Text: one RmtInf/Ustrd
MAX_AMOUNT_DIGITS = 18  # ActiveOrHistoricCurrencyAndAmount totalDigits

# charset.ID_RE, at most MAX_ID long, not starting or ending with "/" and without "//".
_PAYMENT_ID_RE = re.compile(rf"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+ ]{{1,{MAX_ID}}}(?<!/)")
# ASCII digits only ([0-9], not \d, which also matches full-width and Arabic-Indic digits), no sign,
# no leading zeros, a dot before the decimals.
_AMOUNT_RE = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?")
_ZERO = Decimal(0)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_HAS_LETTER_OR_DIGIT = re.compile(r"[A-Za-z0-9]").search
# SEPA Latin words separated by single spaces, with a letter or digit somewhere: nothing to convert.
_PLAIN_TEXT = re.compile(
    r"(?=[^A-Za-z0-9]*[A-Za-z0-9])[A-Za-z0-9/\-?:().,'+]+(?: [A-Za-z0-9/\-?:().,'+]+)*"
).fullmatch


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a value fails a rule: a stable code and a message that quotes the value and says what to do."""

    code: str
    message: str


MISSING = Problem(codes.MISSING_VALUE, "a value is required")


def payment_id(value: str) -> str | Problem:
    if _PAYMENT_ID_RE.fullmatch(value) is not None:
        return value
    if not value:
        return Problem(codes.MISSING_VALUE, "a payment_id is required")
    if len(value) > MAX_ID:
        return Problem(
            codes.PAYMENT_ID_TOO_LONG,
            f"{value!r} is {len(value)} characters; at most {MAX_ID} (it becomes the EndToEndId)",
        )
    return Problem(codes.INVALID_CHARACTERS, f"{value!r} {invalid_id_characters(value)}")


@lru_cache(maxsize=65536)
def iban(value: str) -> str | Problem:
    """The compact IBAN (schwifty checks country, length and mod-97)."""
    if not value:
        return Problem(codes.MISSING_VALUE, "an IBAN is required")
    try:
        return IBAN(value).compact
    except SchwiftyException as exc:
        return Problem(codes.INVALID_IBAN, f"{value!r} is not a valid IBAN: {exc}")


@lru_cache(maxsize=4096)
def bic(value: str) -> str | Problem | None:
    """The upper-case BIC, or None when the column is empty (optional: SEPA routes by IBAN)."""
    if not value:
        return None
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        return Problem(codes.INVALID_BIC, f"{value!r} is not a well-formed BIC: {exc}")


def text(value: str, limit: int) -> str | Problem:
    """The value in the SEPA Latin set (what pain.001 will carry), within `limit` characters. A value
    left with no letter or digit (`%%%` becomes nothing, `<<>>` becomes `(())`) has lost its meaning."""
    if len(value) <= limit and _PLAIN_TEXT(value) is not None:
        return value  # already what pain.001 carries, with a letter or digit: most values
    converted, reason = to_sepa_latin(value)
    if reason:
        return Problem(codes.INVALID_CHARACTERS, f"{value!r} {reason}")
    if _HAS_LETTER_OR_DIGIT(converted) is None:
        return Problem(
            codes.TEXT_LOST,
            f"{value!r} would be sent as {converted!r}, which has no letter or digit left; "
            "write it with letters or digits (the SEPA Latin set: a-z A-Z 0-9 / - ? : ( ) . , ' + space)",
        )
    if len(converted) > limit:
        return Problem(
            codes.FIELD_TOO_LONG,
            f"is {len(converted)} characters in the SEPA Latin set; pain.001 allows at most {limit}",
        )
    return converted


def currency(value: str, allowed: frozenset[str] | None, sender: str) -> str | Problem:
    """An ISO 4217 code this pipeline knows, allowed for the sender (`allowed` None: any)."""
    if allowed is not None and value in allowed:
        return value
    if not value:
        return Problem(codes.MISSING_VALUE, "a currency is required")
    if not _known_currency(value):
        upper = value.upper()
        if upper != value and _known_currency(upper):
            return Problem(codes.INVALID_CURRENCY, f"{value!r}: currency codes are written in upper case; "
                           f"write {upper}")
        return Problem(
            codes.INVALID_CURRENCY, f"{value!r} is not an ISO 4217 currency code (upper case, e.g. EUR)"
        )
    if allowed is not None:
        return Problem(
            codes.CURRENCY_NOT_ALLOWED,
            f"{value} is not allowed for sender {sender!r}; allowed: {', '.join(sorted(allowed))}",
        )
    return value


def _known_currency(code: str) -> bool:
    return _CURRENCY_RE.fullmatch(code) is not None and minor_units(code) is not None


def amount(value: str, currency_code: str | None, limit: Decimal | None, sender: str) -> Decimal | Problem:
    """A positive decimal with at most the currency's minor units, within the per-payment limit."""
    if not value:
        return Problem(codes.MISSING_VALUE, "an amount is required")
    match = _AMOUNT_RE.fullmatch(value)
    if match is None:
        return _amount_format_problem(value)
    # The pattern matched, so the value is digits with at most one dot: plain string arithmetic counts
    # them (cheaper than the match's groups, on every row).
    decimals = len(value) - value.find(".") - 1 if "." in value else 0
    if len(value) - (decimals > 0) > MAX_AMOUNT_DIGITS:
        return _amount_format_problem(value)
    places = MINOR_UNITS.get(currency_code or "")
    if places is not None and decimals > places:
        return Problem(
            codes.AMOUNT_DECIMALS,
            f"{value} has {decimals} decimal places; {currency_code} allows at most {places}",
        )
    money = Decimal(value)
    if money <= _ZERO:  # a Decimal: comparing with the int 0 would convert it on every row
        return Problem(codes.AMOUNT_NOT_POSITIVE, f"{value} must be greater than 0")
    if limit is not None and money > limit:
        return Problem(
            codes.AMOUNT_OVER_LIMIT,
            f"{value} {currency_code} exceeds the per-payment limit of {limit} {currency_code} "
            f"for sender {sender!r}",
        )
    return money


def _amount_format_problem(value: str) -> Problem:
    """Why `value` is not written the one way an amount may be written."""
    if value != value.strip():
        why = "has spaces around it; write only the amount"
    elif value[:1] == "-":
        return Problem(codes.AMOUNT_NOT_POSITIVE, f"{value!r} is negative; only positive amounts can be paid "
                       "(write them without a sign)")  # fmt: skip
    elif value[:1] == "+":
        why = "has a sign; write the amount without one"
    elif any(ch.isdigit() and not "0" <= ch <= "9" for ch in value):
        why = "has digits other than the ASCII digits 0-9 (full-width or Arabic-Indic digits, for example)"
    elif re.fullmatch(r"0[0-9]+(\.[0-9]*)?", value):
        why = "has leading zeros; write it without them"
    elif len(value.replace(".", "")) > MAX_AMOUNT_DIGITS and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
        why = f"has more than {MAX_AMOUNT_DIGITS} digits, more than pain.001 can carry"
    elif (meant := _amount_meant(value)) is not None:
        return Problem(codes.INVALID_AMOUNT, f"{value!r} {meant}")
    else:
        why = "is not a decimal amount; write digits with a dot for decimals and no thousands separators"
    return Problem(codes.INVALID_AMOUNT, f"{value!r} {why} (e.g. 1250.50)")


# What may stand between thousands besides commas and dots: apostrophes and spaces, the no-break ones of
# French and Swiss locales too.
_THOUSANDS = "'\u2019\u00a0\u202f "
# An amount with a currency sign or code before or after it, as a spreadsheet formats money.
_WITH_CURRENCY_RE = re.compile(
    rf"(?:[A-Za-z]{{3}}|[€$£¥])\s?([0-9][0-9.,{_THOUSANDS}]*)|([0-9][0-9.,{_THOUSANDS}]*?)\s?(?:[A-Za-z]{{3}}|[€$£¥])"
)
# The ways of writing thousands and decimals that leave one reading, with what each is called.
_LOCAL_AMOUNTS = (
    (re.compile(r"([0-9]+),([0-9]{1,2})"), "has a comma for the decimals"),
    (re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)\.([0-9]{1,2})"), "has commas between the thousands"),
    (re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+),([0-9]{1,2})"),
     "has dots between the thousands and a comma for the decimals"),
    (re.compile(rf"([0-9]{{1,3}}(?:[{_THOUSANDS}][0-9]{{3}})+)(?:[.,]([0-9]{{1,2}}))?"),
     "has separators between the thousands"),
)


def _amount_meant(value: str) -> str | None:
    """What is wrong with an amount written as people write money, and the amount to write instead,
    where its form leaves one reading; None otherwise."""
    if (with_currency := _WITH_CURRENCY_RE.fullmatch(value)) is not None:
        number = (with_currency[1] or with_currency[2]).strip()
        reading = ("", number) if _AMOUNT_RE.fullmatch(number) else _local_reading(number)
        if reading is None:
            return None
        return (f"has a currency sign or code in it; write {reading[1]} (the currency goes in the currency "
                "column)")
    reading = _local_reading(value)
    return None if reading is None else f"{reading[0]}; write {reading[1]}"


def _local_reading(number: str) -> tuple[str, str] | None:
    """(How `number` separates its thousands or decimals, the amount it means) for a form that leaves
    one reading; None for any other."""
    for pattern, why in _LOCAL_AMOUNTS:
        if (found := pattern.fullmatch(number)) is not None:
            whole = re.sub(r"[^0-9]", "", found[1])
            return why, f"{whole}.{found[2]}" if found[2] else whole
    return None


@lru_cache(maxsize=4096)
def parse_iso_date(value: str) -> date | None:
    """A strict YYYY-MM-DD calendar date, or None."""
    if _DATE_RE.fullmatch(value) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def execution_date(value: str, earliest: date, latest: date) -> date | Problem:
    parsed = parse_iso_date(value)
    if parsed is not None and earliest <= parsed <= latest:
        return parsed
    if not value:
        return Problem(codes.MISSING_VALUE, "an execution date is required")
    if parsed is None:
        return Problem(codes.INVALID_DATE, _not_a_date(value))
    return Problem(codes.DATE_OUTSIDE_WINDOW, f"{value} is outside the allowed window {earliest} .. {latest}")


# Dates as spreadsheets in many countries write them: day.month.year, or day and month either way round
# with `/` or `-`; and the year first with other separators or without leading zeros.
_LOCAL_DATE_RE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})")
_YEAR_FIRST_RE = re.compile(r"(\d{4})([./-])(\d{1,2})\2(\d{1,2})")


def _not_a_date(value: str) -> str:
    """Why `value` is not a YYYY-MM-DD date, with the date the sender meant where the way it is written
    leaves one reading (year first; dots are day first; a part above 12 is the day), and both where it
    leaves two."""
    if _DATE_RE.fullmatch(value):
        return f"{value!r} is not a day of the calendar; write an existing date as YYYY-MM-DD"
    if year_first := _YEAR_FIRST_RE.fullmatch(value):
        readings = {_calendar_day(int(year_first[1]), int(year_first[3]), int(year_first[4]))}
    elif local := _LOCAL_DATE_RE.fullmatch(value):
        first, separator, second, year = int(local[1]), local[2], int(local[3]), int(local[4])
        readings = {_calendar_day(year, second, first)}  # day first
        if separator != ".":
            readings.add(_calendar_day(year, first, second))  # month first
    else:
        readings = set()
    meant = sorted(day.isoformat() for day in readings if day is not None)
    if len(meant) == 1:
        return f"{value!r} is not written as YYYY-MM-DD; write {meant[0]}"
    if meant:
        return (f"{value!r} is not written as YYYY-MM-DD, and could be {meant[0]} or {meant[1]}; "
                "write the one you mean as YYYY-MM-DD")
    return f"{value!r} is not a date; write it as YYYY-MM-DD (year, month, day)"


def _calendar_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_COUNTRY_RE = re.compile(r"[A-Z]{2}")


def creditor_address(values: dict[str, str]) -> tuple[Address | None, list[tuple[str, Problem]]]:
    """The creditor's address from the optional columns (`values`: column -> stripped value).

    None when no column has a value; town and country are both needed once any part is given."""
    if not any(values.values()):
        return None, []
    found: list[tuple[str, Problem]] = []
    parts: dict[str, str] = {}
    for column, value in values.items():
        if not value:
            continue
        if column == "creditor_country":
            if _COUNTRY_RE.fullmatch(value) is None:
                found.append((column, Problem(
                    codes.INVALID_COUNTRY,
                    f"{value!r} is not an ISO 3166 country code (two capitals, e.g. DE)",
                )))  # fmt: skip
            parts["country"] = value
            continue
        verdict = text(value, CREDITOR_ADDRESS_COLUMNS[column])
        if isinstance(verdict, Problem):
            found.append((column, verdict))
        else:
            parts[column.removeprefix("creditor_")] = verdict
    for column in ("creditor_country", "creditor_town"):
        if not values.get(column):
            found.append((column, Problem(
                codes.INCOMPLETE_ADDRESS,
                "a structured address needs the country and the town; add this column",
            )))  # fmt: skip
    if found:
        return None, found
    return Address(**parts), []
