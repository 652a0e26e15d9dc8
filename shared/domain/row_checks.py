"""The checks on one CSV row: every column, against pain.001's limits and the sender's policy.

Each problem becomes a `ValidationIssue` with the row and column; a row with no problem becomes a
`Payment`. IBAN, BIC and date parsing are cached per distinct value because payment files repeat the
same accounts and dates many times (schwifty's IBAN parsing is the most expensive step).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Protocol, TypeVar

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from shared.domain import issues as codes
from shared.domain.charset import PLAIN_RE, invalid_id_characters, to_sepa_latin
from shared.domain.currencies import MINOR_UNITS, minor_units
from shared.domain.frozen import positional_constructor
from shared.domain.issues import ValidationIssue
from shared.domain.payments import Payment
from shared.domain.reference import SenderPolicy

COLUMNS = (
    "payment_id", "debtor_iban", "debtor_name", "creditor_iban", "creditor_name", "creditor_bic",
    "amount", "currency", "execution_date", "remittance_info",
)  # fmt: skip
MAX_ID = 35  # Max35Text: EndToEndId
MAX_NAME = 70  # SEPA Nm
MAX_REMITTANCE = 140  # Max140Text: one RmtInf/Ustrd
MAX_AMOUNT_DIGITS = 18  # ActiveOrHistoricCurrencyAndAmount totalDigits
_AMOUNT_RE = re.compile(r"[+-]?(\d+)(?:\.(\d+))?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_T = TypeVar("_T")
_new_payment = positional_constructor(Payment)


class _Issue(Protocol):
    """The local `issue(column, code, message)` callback of `RowChecker.check`."""

    def __call__(self, column: str, code: str, message: str) -> None: ...


@lru_cache(maxsize=65536)
def check_iban(value: str) -> tuple[str | None, str | None]:
    """(compact IBAN, None) or (None, why it is invalid)."""
    try:
        return IBAN(value).compact, None
    except SchwiftyException as exc:
        return None, str(exc)


@lru_cache(maxsize=4096)
def check_bic(value: str) -> tuple[str | None, str | None]:
    """(upper-case BIC, None) or (None, why it is malformed)."""
    try:
        return str(BIC(value).compact), None
    except SchwiftyException as exc:
        return None, str(exc)


# charset.ID_RE, at most MAX_ID long, not starting or ending with "/" and without "//".
_PAYMENT_ID_RE = re.compile(rf"(?!/)(?!.*//)[A-Za-z0-9/\-?:().,'+ ]{{1,{MAX_ID}}}(?<!/)")
_REMEMBER_AT_MOST = 20_000  # values per memory, so that it stays small whatever the file


def _remember(memory: dict[str, _T], key: str, value: _T | None) -> _T | None:
    if value is not None and key and len(memory) < _REMEMBER_AT_MOST:
        memory[key] = value
    return value


def _remember_name(memory: set[str], name: str) -> bool:
    fits = _text_fits(name, MAX_NAME)
    if fits and len(memory) < _REMEMBER_AT_MOST:
        memory.add(name)
    return fits


def _text_fits(value: str, limit: int) -> bool:
    if not value:
        return False
    if len(value) <= limit and PLAIN_RE.fullmatch(value):
        return True  # already SEPA Latin, and normalising only ever shortens it
    text, reason = to_sepa_latin(value)
    return reason is None and len(text) <= limit


@lru_cache(maxsize=4096)
def parse_iso_date(value: str) -> date | None:
    """A strict YYYY-MM-DD calendar date, or None."""
    if _DATE_RE.fullmatch(value) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class RowChecker:
    """Checks rows for one sender; `policy` is None when the sender is unknown (policy checks skipped)."""

    def __init__(self, policy: SenderPolicy | None, sender: str, earliest: date, latest: date) -> None:
        self.policy = policy
        self.sender = sender
        self.earliest = earliest
        self.latest = latest
        self._debtors = frozenset(policy.debtor_accounts) if policy else frozenset()
        self._currencies = frozenset(policy.currencies) if policy else frozenset()
        self._accepted_currencies = self._currencies if policy else frozenset(MINOR_UNITS)
        self._max_amount = policy.max_payment_amount if policy else None
        # The fast path's memory of values that passed, as they were written in the file: payment
        # files repeat the same accounts, names, BICs and dates on many rows. Only passes are kept.
        self._debtor_ok: dict[str, str] = {}  # debtor_iban -> compact, registered for this sender
        self._iban_ok: dict[str, str] = {}  # creditor_iban -> compact
        self._bic_ok: dict[str, str] = {}  # creditor_bic -> upper case
        self._name_ok: set[str] = set()  # names that fit MAX_NAME in SEPA Latin
        self._date_ok: dict[str, date] = {}  # execution_date -> date inside the window
        self._amount_res = {
            code: re.compile(r"[+-]?\d+" + (rf"(?:\.\d{{1,{places}}})?" if places else ""))
            for code, places in MINOR_UNITS.items()
        }

    def check(self, row: int, fields: list[str]) -> tuple[Payment | None, list[ValidationIssue]]:
        """The payment, or the row's issues. Most rows are valid: `_accept` passes them cheaply, and
        anything it does not accept goes through the detailed checks that explain what is wrong."""
        if len(fields) != len(COLUMNS):
            return None, [self._wrong_count(row, len(fields))]
        values = list(map(str.strip, fields))  # stray spaces around commas are not an error
        payment = self._accept(row, values)
        if payment is not None:
            return payment, []
        return self._explain(row, values)

    def _accept(self, row: int, values: list[str]) -> Payment | None:
        """A Payment when every check passes, else None. Never more lenient than `_explain`
        (tests/unit/domain/test_domain_row_fast_path.py compares the two on generated rows)."""
        pid, d_iban, d_name, c_iban, c_name, bic, amount, currency, when, remittance = values
        if _PAYMENT_ID_RE.fullmatch(pid) is None:
            return None
        debtor = self._debtor_ok.get(d_iban) or self._pass_debtor(d_iban)
        creditor = self._iban_ok.get(c_iban) or _remember(self._iban_ok, c_iban, check_iban(c_iban)[0])
        if debtor is None or creditor is None:
            return None
        names = self._name_ok
        if (d_name not in names and not _remember_name(names, d_name)) or (
            c_name not in names and not _remember_name(names, c_name)
        ):
            return None
        if remittance and not _text_fits(remittance, MAX_REMITTANCE):
            return None
        creditor_bic = (
            (self._bic_ok.get(bic) or _remember(self._bic_ok, bic, check_bic(bic)[0])) if bic else None
        )
        if (bic and creditor_bic is None) or currency not in self._accepted_currencies:
            return None
        # At most 18 characters means at most 18 digits (totalDigits); the currency's pattern allows
        # at most its minor units after the point.
        if len(amount) > MAX_AMOUNT_DIGITS or self._amount_res[currency].fullmatch(amount) is None:
            return None
        money = Decimal(amount)
        if money <= 0 or (self._max_amount is not None and money > self._max_amount):
            return None
        execution_date = self._date_ok.get(when) or self._pass_date(when)
        if execution_date is None:
            return None
        return _new_payment(row, pid, debtor, d_name, creditor, c_name, creditor_bic, money, currency,
                            execution_date, remittance)  # fmt: skip

    def _pass_debtor(self, value: str) -> str | None:
        debtor = check_iban(value)[0] if value else None
        if debtor is None or (self.policy is not None and debtor not in self._debtors):
            return None
        return _remember(self._debtor_ok, value, debtor)

    def _pass_date(self, value: str) -> date | None:
        parsed = parse_iso_date(value)
        if parsed is None or not self.earliest <= parsed <= self.latest:
            return None
        return _remember(self._date_ok, value, parsed)

    def _explain(self, row: int, values: list[str]) -> tuple[Payment | None, list[ValidationIssue]]:
        found: list[ValidationIssue] = []

        def issue(column: str, code: str, message: str) -> None:
            found.append(ValidationIssue(row, column, code, f"row {row}, {column}: {message}"))

        pid, d_iban, d_name, c_iban, c_name, bic, amount, currency, when, remittance = values
        self._payment_id(pid, issue)
        debtor = self._iban("debtor_iban", d_iban, issue)
        if debtor and self.policy and debtor not in self._debtors:
            issue("debtor_iban", codes.DEBTOR_NOT_REGISTERED,
                  f"{debtor} is not a registered debtor account of sender {self.sender!r}; "
                  f"registered: {', '.join(self.policy.debtor_accounts) or 'none'}")  # fmt: skip
        self._text("debtor_name", d_name, MAX_NAME, issue, required=True)
        creditor = self._iban("creditor_iban", c_iban, issue)
        self._text("creditor_name", c_name, MAX_NAME, issue, required=True)
        creditor_bic = self._bic(bic, issue)
        known_currency = self._currency(currency, issue)
        money = self._amount(amount, known_currency, issue)
        execution_date = self._date(when, issue)
        self._text("remittance_info", remittance, MAX_REMITTANCE, issue, required=False)
        if found or not (debtor and creditor and money is not None and execution_date and known_currency):
            return None, found  # every None above has put an issue in `found`
        payment = Payment(row, pid, debtor, d_name, creditor, c_name, creditor_bic, money,
                          known_currency, execution_date, remittance)  # fmt: skip
        return payment, found

    def _wrong_count(self, row: int, count: int) -> ValidationIssue:
        return ValidationIssue(
            row, None, codes.WRONG_COLUMN_COUNT,
            f"row {row} has {count} columns, expected {len(COLUMNS)} ({','.join(COLUMNS)}); "
            "quote values that contain commas",
        )  # fmt: skip

    def _payment_id(self, value: str, issue: _Issue) -> None:
        if not value:
            issue("payment_id", codes.MISSING_VALUE, "a payment_id is required")
        elif len(value) > MAX_ID:
            issue(
                "payment_id",
                codes.PAYMENT_ID_TOO_LONG,
                f"{value!r} is {len(value)} characters; at most {MAX_ID} (it becomes the EndToEndId)",
            )
        elif (reason := invalid_id_characters(value)) is not None:
            issue("payment_id", codes.INVALID_CHARACTERS, f"{value!r} {reason}")

    def _iban(self, column: str, value: str, issue: _Issue) -> str | None:
        if not value:
            issue(column, codes.MISSING_VALUE, "an IBAN is required")
            return None
        compact, error = check_iban(value)
        if error:
            issue(column, codes.INVALID_IBAN, f"{value!r} is not a valid IBAN: {error}")
        return compact

    def _bic(self, value: str, issue: _Issue) -> str | None:
        if not value:
            return None  # optional: SEPA routes by IBAN
        compact, error = check_bic(value)
        if error:
            issue("creditor_bic", codes.INVALID_BIC, f"{value!r} is not a well-formed BIC: {error}")
        return compact

    def _text(self, column: str, value: str, limit: int, issue: _Issue, *, required: bool) -> None:
        if not value:
            if required:
                issue(column, codes.MISSING_VALUE, "a value is required")
            return
        text, reason = to_sepa_latin(value)
        if reason:
            issue(column, codes.INVALID_CHARACTERS, f"{value!r} {reason}")
        elif len(text) > limit:
            issue(
                column,
                codes.FIELD_TOO_LONG,
                f"is {len(text)} characters in the SEPA Latin set; pain.001 allows at most {limit}",
            )

    def _currency(self, value: str, issue: _Issue) -> str | None:
        if not value:
            issue("currency", codes.MISSING_VALUE, "a currency is required")
            return None
        if _CURRENCY_RE.fullmatch(value) is None or minor_units(value) is None:
            issue(
                "currency",
                codes.INVALID_CURRENCY,
                f"{value!r} is not an ISO 4217 currency code (upper case, e.g. EUR)",
            )
            return None
        if self.policy and value not in self._currencies:
            issue(
                "currency",
                codes.CURRENCY_NOT_ALLOWED,
                f"{value} is not allowed for sender {self.sender!r}; "
                f"allowed: {', '.join(self.policy.currencies)}",
            )
            return None
        return value

    def _amount(self, value: str, currency: str | None, issue: _Issue) -> Decimal | None:
        if not value:
            issue("amount", codes.MISSING_VALUE, "an amount is required")
            return None
        match = _AMOUNT_RE.fullmatch(value)
        if match is None or len(match[1]) + len(match[2] or "") > MAX_AMOUNT_DIGITS:
            issue(
                "amount",
                codes.INVALID_AMOUNT,
                f"{value!r} is not a decimal amount; write digits with a dot for decimals, no thousands "
                f"separators, at most {MAX_AMOUNT_DIGITS} digits (e.g. 1250.50)",
            )
            return None
        amount = Decimal(value)
        decimals = minor_units(currency) if currency else None
        ok = True
        if decimals is not None and len(match[2] or "") > decimals:
            issue(
                "amount",
                codes.AMOUNT_DECIMALS,
                f"{value} has {len(match[2])} decimal places; {currency} allows at most {decimals}",
            )
            ok = False
        if amount <= 0:
            issue("amount", codes.AMOUNT_NOT_POSITIVE, f"{value} must be greater than 0")
            ok = False
        elif self.policy and amount > self.policy.max_payment_amount:
            issue(
                "amount",
                codes.AMOUNT_OVER_LIMIT,
                f"{value} exceeds the per-payment limit of {self.policy.max_payment_amount} "
                f"for sender {self.sender!r}",
            )
            ok = False
        return amount if ok else None

    def _date(self, value: str, issue: _Issue) -> date | None:
        if not value:
            issue("execution_date", codes.MISSING_VALUE, "an execution date is required")
            return None
        parsed = parse_iso_date(value)
        if parsed is None:
            issue("execution_date", codes.INVALID_DATE, f"{value!r} is not a valid date YYYY-MM-DD")
        elif not self.earliest <= parsed <= self.latest:
            issue(
                "execution_date",
                codes.DATE_OUTSIDE_WINDOW,
                f"{value} is outside the allowed window {self.earliest} .. {self.latest}",
            )
            return None
        return parsed
