"""The checks on one CSV row: every column through its rule (`row_rules`), in one pass.

Each problem becomes a `ValidationIssue` with the row and column; a row with no problem becomes a
`Payment` carrying the normalised values (compact IBANs, upper-case BIC, names and remittance text
already in the SEPA Latin set that pain.001 carries). There is one path: a rule's verdict is both the
acceptance and the explanation. Verdicts on values that repeat (accounts, names, BICs, dates) are
remembered per checker, up to a bound, which is what keeps a large file fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from shared.domain import issues as codes
from shared.domain import row_rules as rules
from shared.domain.frozen import positional_constructor
from shared.domain.issues import ValidationIssue, ValidationWarning
from shared.domain.payments import Payment
from shared.domain.reference import SenderPolicy
from shared.domain.row_rules import MAX_ID, MAX_NAME, MAX_REMITTANCE, Problem

__all__ = ["COLUMNS", "MAX_ID", "MAX_NAME", "MAX_REMITTANCE", "RowChecker"]

COLUMNS = (
    "payment_id", "debtor_iban", "debtor_name", "creditor_iban", "creditor_name", "creditor_bic",
    "amount", "currency", "execution_date", "remittance_info",
)  # fmt: skip
_REMEMBER_AT_MOST = 20_000  # verdicts per memory, so that it stays small whatever the file
_K = TypeVar("_K")
_V = TypeVar("_V")
_new_payment = positional_constructor(Payment)


def _remember(memory: dict[_K, _V], key: _K, verdict: _V) -> _V:
    if len(memory) < _REMEMBER_AT_MOST:
        memory[key] = verdict
    return verdict


class RowChecker:
    """Checks rows for one sender; `policy` is None when the sender is unknown (policy checks skipped)."""

    def __init__(
        self,
        policy: SenderPolicy | None,
        sender: str,
        earliest: date,
        latest: date,
        warn: Callable[[ValidationWarning], None] | None = None,
    ) -> None:
        self.policy = policy
        self.warnings: list[ValidationWarning] = []
        self._warn = warn or self.warnings.append
        self._changes: dict[tuple[str, str], ValidationWarning] = {}  # (column, before): its warning
        self.sender = sender
        self.earliest = earliest
        self.latest = latest
        self._debtors = frozenset(policy.debtor_accounts) if policy else frozenset()
        self._currencies = frozenset(policy.currencies) if policy else None
        self._payment_limits = (
            {code: policy.payment_limit(code) for code in policy.currencies} if policy else {}
        )
        # Verdicts (normalised value or Problem) by the value as written in the file.
        self._debtor_seen: dict[str, str | Problem] = {}
        self._iban_seen: dict[str, str | Problem] = {}
        self._bic_seen: dict[str, str | Problem | None] = {}
        self._name_seen: dict[str, str | Problem] = {}
        self._date_seen: dict[str, date | Problem] = {}
        self._currency_seen: dict[str, str | Problem] = {}

    def check(self, row: int, fields: list[str]) -> tuple[Payment | None, list[ValidationIssue]]:
        """The payment (and no issues), or None and every issue the row has."""
        if len(fields) != len(COLUMNS):
            return None, [self._wrong_count(row, len(fields))]
        # Stray spaces around commas are not an error.
        pid, d_iban, d_name, c_iban, c_name, bic, _, currency, when, remittance = map(str.strip, fields)
        verdicts = (
            rules.payment_id(pid),
            self._debtor_seen.get(d_iban) or _remember(self._debtor_seen, d_iban, self._debtor(d_iban)),
            self._name_seen.get(d_name) or _remember(self._name_seen, d_name, _name(d_name)),
            self._iban_seen.get(c_iban) or _remember(self._iban_seen, c_iban, rules.iban(c_iban)),
            self._name_seen.get(c_name) or _remember(self._name_seen, c_name, _name(c_name)),
            (self._bic_seen.get(bic) or _remember(self._bic_seen, bic, rules.bic(bic))) if bic else None,
            None,  # the amount needs the currency's verdict: below
            self._currency_seen.get(currency)
            or _remember(
                self._currency_seen, currency, rules.currency(currency, self._currencies, self.sender)
            ),
            self._date_seen.get(when)
            or _remember(self._date_seen, when, rules.execution_date(when, self.earliest, self.latest)),
            rules.text(remittance, MAX_REMITTANCE) if remittance else "",
        )
        known_currency = verdicts[7] if type(verdicts[7]) is str else None
        # The amount as written, spaces included: an amount has exactly one spelling.
        limit = self._payment_limits.get(known_currency) if known_currency else None
        money = rules.amount(fields[6], known_currency, limit, self.sender)
        if verdicts[2] != d_name or verdicts[4] != c_name or verdicts[9] != remittance:
            self._note_changes(row, (d_name, c_name, remittance), (verdicts[2], verdicts[4], verdicts[9]))
        if type(money) is Problem or any(type(verdict) is Problem for verdict in verdicts):
            return None, self._issues(row, verdicts, money)
        return _new_payment(row, pid, verdicts[1], verdicts[2], verdicts[3], verdicts[4], verdicts[5], money,
                            currency, verdicts[8], verdicts[9]), []  # fmt: skip

    def _debtor(self, value: str) -> str | Problem:
        compact = rules.iban(value)
        if type(compact) is str and self.policy is not None and compact not in self._debtors:
            registered = ", ".join(self.policy.debtor_accounts) or "none"
            return Problem(codes.DEBTOR_NOT_REGISTERED,
                           f"{compact} is not a registered debtor account of sender {self.sender!r}; "
                           f"registered: {registered}")  # fmt: skip
        return compact

    def _note_changes(self, row: int, written: tuple[str, ...], sent: tuple[object, ...]) -> None:
        """A warning for each text the SEPA Latin set changed; the same change on later rows counts."""
        for column, before, after in zip(("debtor_name", "creditor_name", "remittance_info"), written, sent,
                                         strict=True):  # fmt: skip
            if type(after) is not str or after == before:
                continue
            known = self._changes.get((column, before))
            if known is not None:
                known.rows += 1
                continue
            warning = ValidationWarning(
                row, column, codes.TRANSLITERATED,
                f"row {row}, {column}: {before!r} is sent as {after!r}: pain.001 carries only the SEPA "
                "Latin character set; write it that way to choose the spelling yourself",
                before, after,
            )  # fmt: skip
            _remember(self._changes, (column, before), warning)
            self._warn(warning)

    def _issues(self, row: int, verdicts: tuple[object, ...], money: object) -> list[ValidationIssue]:
        found = [(column, verdict) for column, verdict in zip(COLUMNS, verdicts, strict=True)]
        found[6] = ("amount", money)
        return [
            ValidationIssue(row, column, verdict.code, f"row {row}, {column}: {verdict.message}")
            for column, verdict in found
            if isinstance(verdict, Problem)
        ]

    def _wrong_count(self, row: int, count: int) -> ValidationIssue:
        return ValidationIssue(
            row, None, codes.WRONG_COLUMN_COUNT,
            f"row {row} has {count} columns, expected {len(COLUMNS)} ({','.join(COLUMNS)}); "
            "quote values that contain commas",
        )  # fmt: skip


def _name(value: str) -> str | Problem:
    return rules.text(value, MAX_NAME) if value else rules.MISSING
