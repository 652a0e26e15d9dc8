"""The checks on one CSV row: every column through its rule (`row_rules`), then the rules between columns.

Each problem becomes a `ValidationIssue` with the row and column; a row with no problem becomes a
`Payment` carrying the normalised values (compact IBANs, upper-case BIC, names and remittance text
already in the SEPA Latin set that pain.001 carries). There is one path: a rule's verdict is both the
acceptance and the explanation. Verdicts on values that repeat (accounts, names, BICs, dates) are
remembered per checker, up to a bound, which is what keeps a large file fast. The rules between
columns (SEPA or not, consistent parties) are in `parties`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from shared.domain import business_days, parties
from shared.domain import issues as codes
from shared.domain import row_rules as rules
from shared.domain.addresses import Address
from shared.domain.issues import ValidationIssue, ValidationWarning
from shared.domain.payments import Payment, new_payment
from shared.domain.reference import SenderPolicy
from shared.domain.row_rules import MAX_ID, MAX_NAME, MAX_REMITTANCE, Problem
from shared.domain.row_warnings import RowWarnings

__all__ = ["COLUMNS", "MAX_ID", "MAX_NAME", "MAX_REMITTANCE", "RowChecker"]

COLUMNS = (
    "payment_id", "debtor_iban", "debtor_name", "creditor_iban", "creditor_name", "creditor_bic",
    "amount", "currency", "execution_date", "remittance_info",
)  # fmt: skip
_TEXT_COLUMNS = ((2, "debtor_name"), (4, "creditor_name"), (9, "remittance_info"))
_REMEMBER_AT_MOST = 20_000  # verdicts per memory, so that it stays small whatever the file
_K = TypeVar("_K")
_V = TypeVar("_V")
Found = list[tuple[str | None, Problem]]


class _InSepa(dict[str, bool]):
    """Debtor IBAN -> in the SEPA scheme, looked up once per account (a file has few)."""

    def __missing__(self, iban: str) -> bool:
        value = self[iban] = parties.iban_country(iban)[1]
        return value


def _remember(memory: dict[_K, _V], key: _K, verdict: _V) -> _V:
    if len(memory) < _REMEMBER_AT_MOST:
        memory[key] = verdict
    return verdict


class RowChecker:
    """Checks rows for one sender; `policy` is None when the sender is unknown (policy checks skipped).
    `optional` names the optional columns after the ten required ones, in the file's order."""

    def __init__(
        self,
        policy: SenderPolicy | None,
        sender: str,
        earliest: date,
        latest: date,
        *,
        warn: Callable[[ValidationWarning], None] | None = None,
        optional: tuple[str, ...] = (),
    ) -> None:
        self.policy = policy
        self.sender = sender
        self.earliest = earliest
        self.latest = latest
        self.warnings: list[ValidationWarning] = []
        self._notes = RowWarnings(warn or self.warnings.append)
        self._optional = optional
        self._width = len(COLUMNS) + len(optional)
        self._debtors = frozenset(policy.debtor_accounts) if policy else frozenset()
        self._currencies = frozenset(policy.currencies) if policy else None
        self._payment_limits = {c: policy.payment_limit(c) for c in policy.currencies} if policy else {}
        self._debtor_address_known = policy is None or policy.address is not None
        self._debtor_in_sepa = _InSepa()
        # A sender whose euro limit is below the SEPA maximum can never reach it: skip the comparison.
        self._sepa_cap = policy is None or policy.payment_limit("EUR") > parties.SEPA_MAXIMUM
        # Verdicts (normalised value or Problem) by the value as written in the file.
        self._debtor_seen: dict[str, str | Problem] = {}
        self._iban_seen: dict[str, str | Problem] = {}
        self._bic_seen: dict[str, str | Problem | None] = {}
        self._name_seen: dict[str, str | Problem] = {}
        self._currency_seen: dict[str, str | Problem] = {}
        self._address_seen: dict[
            tuple[str, ...], tuple[Address | None, Found, list[tuple[str, str, str]]]
        ] = {}
        self._day_seen: dict[tuple[str, str], tuple[date | Problem, date | None]] = {}
        self._parties_seen: dict[tuple[str, str | None, str, bool, bool], tuple[bool, Found, bool]] = {}

    def check(self, row: int, fields: list[str]) -> tuple[Payment | None, list[ValidationIssue]]:
        """The payment (and no issues), or None and every issue the row has."""
        if len(fields) != self._width:
            return None, [self._wrong_count(row, len(fields))]
        # Stray spaces around commas are not an error; the amount is judged as written (one spelling).
        values = list(map(str.strip, fields))
        verdicts = self._column_verdicts(values, fields[6])
        found: Found = []
        if Problem in map(type, verdicts):
            found = [(c, v) for c, v in zip(COLUMNS, verdicts, strict=False) if type(v) is Problem]
        _, debtor, d_name, creditor, c_name, bic, money, currency, day, remittance, moved_from = verdicts
        given = self._optional and any(values[10:])  # some part of the creditor's address
        address = self._creditor_address(row, values, found) if given else None
        if c_name != values[4] or d_name != values[2] or remittance != values[9]:
            self._changed_text(row, values, verdicts)
        if isinstance(moved_from, date):
            why = business_days.why_closed(moved_from, str(currency))
            self._notes.shifted(row, values[8], str(day), why)
        sepa = self._parties(row, verdicts, bool(given), found)
        if sepa and self._sepa_cap and type(money) is Decimal and money > parties.SEPA_MAXIMUM:
            found.append(("amount", parties.over_sepa_maximum(money)))
        if found:
            return None, [
                ValidationIssue(row, column, problem.code,
                                f"row {row}{', ' + column if column else ''}: {problem.message}")
                for column, problem in found
            ]  # fmt: skip
        return new_payment(row, values[0], debtor, d_name, creditor, c_name, bic, money, currency, day,
                            remittance, address), []  # fmt: skip

    def _changed_text(self, row: int, values: list[str], verdicts: list[object]) -> None:
        """What the SEPA Latin set changed in the text columns is a warning."""
        for index, column in _TEXT_COLUMNS:
            sent = verdicts[index]
            if sent != values[index] and type(sent) is str:
                self._notes.changed(row, column, values[index], sent)

    def _execution_day(self, written: str, currency: str | None) -> tuple[date | Problem, date | None]:
        """(The date the payment is requested for, or why not; the date as written when the sender's
        business-day policy moved it, else None)."""
        parsed = rules.execution_date(written, self.earliest, self.latest)
        if type(parsed) is not date or currency is None:
            return parsed, None
        day = self._business_day(parsed, currency)
        return day, parsed if type(day) is date and day != parsed else None

    def _parties(self, row: int, verdicts: list[object], given: bool, found: Found) -> bool:
        """Whether the payment is a SEPA credit transfer; adds what is wrong with its parties."""
        debtor, creditor, bic, currency = verdicts[1], verdicts[3], verdicts[5], verdicts[7]
        if type(debtor) is not str or type(creditor) is not str or type(currency) is not str:
            return False
        if bic is not None and type(bic) is not str:
            return False  # a malformed BIC is its own problem
        if creditor == debtor:
            found.append(("creditor_iban", parties.same_account(creditor)))
        # Keyed by the debtor's scheme membership, not its IBAN: a payroll file pays many creditors
        # from few accounts, so the verdict is shared by every row to that creditor.
        key = (creditor, bic, currency, given, self._debtor_in_sepa[debtor])
        known = self._parties_seen.get(key)
        if known is None:
            known = _remember(self._parties_seen, key, self._party_verdict(*key))
        sepa, problems, bic_known = known
        if problems:
            found += problems
        if not bic_known:
            self._notes.unknown_bic(row, bic)  # type: ignore[arg-type]
        return sepa

    def _party_verdict(
        self, creditor: str, bic: str | None, currency: str, given: bool, debtor_sepa: bool
    ) -> tuple[bool, Found, bool]:
        """(SEPA or not, the problems of creditor, BIC and scheme, whether the BIC is known), the same
        for every row with this creditor, BIC and currency (and an address given or not)."""
        country, creditor_sepa = parties.iban_country(creditor)
        sepa = parties.sepa_scheme(currency, debtor_sepa, creditor_sepa)
        found: Found = []
        if bic and (mismatch := parties.bic_problem(bic, country)) is not None:
            found.append(("creditor_bic", mismatch))
        # An address given but wrong is reported as such, not as missing.
        found += parties.scheme_problems(
            sepa, currency, country, bool(bic), given, self._debtor_address_known
        )
        return sepa, found, not bic or parties.bic_facts(bic)[1]

    def _column_verdicts(self, values: list[str], amount: str) -> list[object]:
        """Each required column's verdict, in COLUMNS order, then the execution date as written when
        the business-day rule moved it (else None)."""
        pid, d_iban, d_name, c_iban, c_name, bic, _, currency, when, remittance = values[:10]
        verdict_currency = self._currency_seen.get(currency) or _remember(
            self._currency_seen, currency, rules.currency(currency, self._currencies, self.sender)
        )
        known = verdict_currency if type(verdict_currency) is str else None
        day, moved_from = self._day_seen.get((when, currency)) or _remember(
            self._day_seen, (when, currency), self._execution_day(when, known)
        )
        return [
            rules.payment_id(pid),
            self._debtor_seen.get(d_iban) or _remember(self._debtor_seen, d_iban, self._debtor(d_iban)),
            self._name_seen.get(d_name) or _remember(self._name_seen, d_name, _name(d_name)),
            self._iban_seen.get(c_iban) or _remember(self._iban_seen, c_iban, rules.iban(c_iban)),
            self._name_seen.get(c_name) or _remember(self._name_seen, c_name, _name(c_name)),
            (self._bic_seen.get(bic) or _remember(self._bic_seen, bic, rules.bic(bic))) if bic else None,
            rules.amount(amount, known, self._payment_limits.get(known) if known else None, self.sender),
            verdict_currency,
            day,
            rules.text(remittance, MAX_REMITTANCE) if remittance else "",
            moved_from,
        ]

    def _debtor(self, value: str) -> str | Problem:
        compact = rules.iban(value)
        if type(compact) is str and self.policy is not None and compact not in self._debtors:
            registered = ", ".join(self.policy.debtor_accounts) or "none"
            return Problem(codes.DEBTOR_NOT_REGISTERED,
                           f"{compact} is not a registered debtor account of sender {self.sender!r}; "
                           f"registered: {registered}")  # fmt: skip
        return compact

    def _creditor_address(self, row: int, values: list[str], found: Found) -> Address | None:
        written = tuple(values[10:])
        known = self._address_seen.get(written)
        if known is None:
            known = _remember(self._address_seen, written, self._address_verdict(written))
        address, problems, changes = known
        found += problems
        for column, before, after in changes:
            self._notes.changed(row, column, before, after)
        return address

    def _address_verdict(
        self, written: tuple[str, ...]
    ) -> tuple[Address | None, Found, list[tuple[str, str, str]]]:
        """The address, its problems, and the (column, before, after) of each value the SEPA set changed."""
        values = dict(zip(self._optional, written, strict=True))
        address, problems = rules.creditor_address(values)
        changes = []
        if address is not None:
            for column, after in zip(("creditor_town", "creditor_postcode", "creditor_street",
                                      "creditor_building"),
                                     (address.town, address.postcode, address.street, address.building),
                                     strict=True):  # fmt: skip
                if values.get(column, "") != after:
                    changes.append((column, values[column], after))
        return address, list(problems), changes

    def _business_day(self, day: date, currency: str) -> date | Problem:
        """`day`, or the business day the sender's policy moves it to, or why it cannot be executed."""
        if business_days.is_business_day(day, currency):
            return day
        policy = self.policy.non_business_day if self.policy else "next"
        why = business_days.why_closed(day, currency)
        if policy == "next":
            return business_days.next_business_day(day, currency)
        earlier = business_days.previous_business_day(day, currency)
        if policy == "previous" and earlier >= self.earliest:
            return earlier
        later = business_days.next_business_day(day, currency)
        choices = f"{later} or {earlier}" if earlier >= self.earliest else str(later)
        return Problem(
            codes.NOT_A_BUSINESS_DAY,
            f"{day} is {why}, not a business day for {currency} payments; choose a business day "
            f"such as {choices}",
        )

    def _wrong_count(self, row: int, count: int) -> ValidationIssue:
        header = ",".join(COLUMNS + self._optional)
        return ValidationIssue(
            row, None, codes.WRONG_COLUMN_COUNT,
            f"row {row} has {count} columns, expected {self._width} ({header}); "
            "quote values that contain commas",
        )  # fmt: skip


def _name(value: str) -> str | Problem:
    return rules.text(value, MAX_NAME) if value else rules.MISSING
