"""Validating a payment file (CSV, UTF-8) against the reference table, streaming line by line.

Every problem is reported, not just the first: file-level issues (header, sender, size, row count,
file total) have `row = None` or the header's row 1; row issues carry the physical line number and
the column. Memory stays flat: rows are handed to `on_payment` as they pass and only payment_id
hashes are kept (`SeenIds`) to find duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

from shared.domain import issues as codes
from shared.domain.addresses import CREDITOR_ADDRESS_COLUMNS
from shared.domain.csv_source import CsvRecord, CsvSource
from shared.domain.dedup import SeenIds
from shared.domain.issues import ValidationIssue, ValidationWarning
from shared.domain.payments import Payment
from shared.domain.reference import ReferenceTable, SenderPolicy
from shared.domain.row_checks import COLUMNS, RowChecker

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_REPORTED_ISSUES = 1000
MAX_REPORTED_WARNINGS = 100  # the first ones; `warning_count` says how many there were
MAX_CONTROL_SUM_DIGITS = 18  # GrpHdr/CtrlSum and PmtInf/CtrlSum: DecimalNumber, totalDigits 18
HEADER = ",".join(COLUMNS)
OPTIONAL_COLUMNS = tuple(CREDITOR_ADDRESS_COLUMNS)  # after the required ones, in any order


@dataclass(slots=True)
class ValidationResult:
    """All issues found (the first MAX_REPORTED_ISSUES kept), how many rows, and the sum of valid amounts."""

    issues: list[ValidationIssue] = field(default_factory=list)
    issue_count: int = 0
    warnings: list[ValidationWarning] = field(default_factory=list)
    warning_count: int = 0
    row_count: int = 0
    control_sum: Decimal = Decimal(0)
    currency_totals: dict[str, Decimal] = field(default_factory=dict)  # valid payments, per currency

    @property
    def valid(self) -> bool:
        return self.issue_count == 0

    def add(self, issue: ValidationIssue) -> None:
        self.issue_count += 1
        if len(self.issues) < MAX_REPORTED_ISSUES:
            self.issues.append(issue)

    def warn(self, warning: ValidationWarning) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_REPORTED_WARNINGS:
            self.warnings.append(warning)

    def warnings_report(self) -> list[dict[str, Any]]:
        return [warning.to_dict() for warning in self.warnings]

    def to_report(self) -> dict[str, Any]:
        """The rejection report (docs/architecture.md); `state` is "valid" only when nothing is reported."""
        return {
            "state": "valid" if self.valid else "rejected",
            "errors": [issue.to_dict() for issue in self.issues],
            "error_count": self.issue_count,
            "warnings": self.warnings_report(),
            "warning_count": self.warning_count,
        }


def validate_payment_file(
    stream: BinaryIO,
    *,
    sender: str,
    reference: ReferenceTable,
    today: date,
    on_payment: Callable[[Payment], None] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> ValidationResult:
    """Check the whole file; `on_payment` gets each row that passed, in file order (discard if invalid)."""
    result = ValidationResult()
    policy = _sender_policy(sender, reference, result)
    window = reference.execution_window_days
    earliest, latest = today - timedelta(days=window.past), today + timedelta(days=window.future)
    source = CsvSource(stream, max_bytes)
    records = iter(source)
    header = next(records, None)
    if header is None:
        if source.too_large is None:
            result.add(
                ValidationIssue(None, None, codes.EMPTY_FILE, f"file is empty; expected the header {HEADER}")
            )
    elif (optional := _optional_columns(header, source, result)) is not None:
        checker = RowChecker(policy, sender, earliest, latest, warn=result.warn, optional=optional)
        _check_rows(records, checker, result, on_payment)
        if result.row_count == 0 and source.too_large is None:
            result.add(ValidationIssue(None, None, codes.EMPTY_FILE, "file has a header but no payment rows"))
    if source.too_large is not None:
        result.add(source.too_large)
    if policy is not None:
        _check_file_limits(policy, sender, result)
    _check_control_sum(result)
    return result


def _sender_policy(sender: str, reference: ReferenceTable, result: ValidationResult) -> SenderPolicy | None:
    policy = reference.senders.get(sender)
    if policy is None:
        known = ", ".join(sorted(reference.senders)) or "none"
        result.add(ValidationIssue(
            None, None, codes.UNKNOWN_SENDER,
            f"sender {sender!r} is not in the reference table (known senders: {known}); "
            "check the sender folder (incoming/<sender>/) or ask for the sender to be registered",
        ))  # fmt: skip
    elif policy.status != "active":
        result.add(ValidationIssue(
            None, None, codes.SENDER_SUSPENDED,
            f"sender {sender!r} ({policy.name}) is {policy.status}; no files are accepted from it",
        ))  # fmt: skip
    return policy


def _optional_columns(header: CsvRecord, source: CsvSource,
                      result: ValidationResult) -> tuple[str, ...] | None:  # fmt: skip
    """The optional columns after the ten required ones, or None (and an issue) for a wrong header."""
    fields = header.fields
    if header.issue is not None:
        # Quoted names separated by semicolons are not even CSV to a comma reader: say what they are.
        malformed = header.issue.code == codes.MALFORMED_ROW
        separator = _other_separator(source.first_line) if malformed else None
        result.add(header.issue if separator is None else _separated_by(separator))
        return None
    required, optional = tuple(fields[: len(COLUMNS)]), tuple(fields[len(COLUMNS) :])
    unknown = [name for name in optional if name not in OPTIONAL_COLUMNS]
    repeated = sorted({name for name in optional if optional.count(name) > 1})
    if required == COLUMNS and not unknown and not repeated:
        return optional
    if (separator := _other_separator(source.first_line)) is not None:
        result.add(_separated_by(separator))
        return None
    result.add(ValidationIssue(
        1, None, codes.HEADER_MISMATCH,
        f"the header must start with exactly {HEADER!r}, optionally followed by any of "
        f"{', '.join(OPTIONAL_COLUMNS)}; got {','.join(fields)!r} "
        f"({'; '.join(_header_faults(fields, unknown, repeated)[:3])}). Rows were not checked.",
    ))  # fmt: skip
    return None


def _separated_by(separator: str) -> ValidationIssue:
    return ValidationIssue(
        1, None, codes.HEADER_MISMATCH,
        f"the columns are separated by {separator}, not commas: save the file as comma-separated CSV "
        f"(UTF-8), with the header {HEADER!r}. Rows were not checked.",
    )  # fmt: skip


def _header_faults(fields: list[str], unknown: list[str], repeated: list[str]) -> list[str]:
    """What is wrong with a comma-separated header, column by column, then as a whole."""
    wrong = [
        f"column {n}: expected {want!r}, got {have!r}"
        for n, (want, have) in enumerate(zip(COLUMNS, fields, strict=False), start=1)
        if want != have
    ]
    if len(fields) < len(COLUMNS):
        counted = f"{len(fields)} column{'' if len(fields) == 1 else 's'}"
        wrong.append(f"{counted} instead of at least {len(COLUMNS)}")
    if unknown:
        wrong.append(f"unknown optional columns {', '.join(map(repr, unknown))}")
    if repeated:
        wrong.append(f"columns given twice: {', '.join(map(repr, repeated))}")
    return wrong


_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _other_separator(line: str) -> str | None:
    """The separator a header line uses instead of commas (a spreadsheet saved with another list
    separator, as European locales do by default), when splitting at it gives the required columns."""
    for separator, name in _OTHER_SEPARATORS.items():
        if tuple(part.strip().strip('"') for part in line.split(separator)[: len(COLUMNS)]) == COLUMNS:
            return name
    return None


def _check_rows(
    records: Any,
    checker: RowChecker,
    result: ValidationResult,
    on_payment: Callable[[Payment], None] | None,
) -> None:
    seen = SeenIds()
    remember = seen.add
    add = result.add
    check = checker.check
    zero = Decimal(0)
    totals = result.currency_totals
    rows = 0
    for record in records:
        rows += 1
        if record.issue is not None:
            add(record.issue)
            continue
        fields = record.fields
        payment, found = check(record.row, fields)
        if payment is not None:  # then `found` is empty
            payment_id = payment.payment_id
        else:
            for issue in found:
                add(issue)
            payment_id = fields[0].strip() if len(fields) >= len(COLUMNS) else ""
        first = remember(payment_id, record.row) if payment_id else None
        if first is not None:
            add(ValidationIssue(
                record.row, "payment_id", codes.DUPLICATE_PAYMENT_ID,
                f"row {record.row}, payment_id: {payment_id!r} is already used on row {first}; "
                "payment ids must be unique within a file",
            ))  # fmt: skip
        elif payment is not None:
            totals[payment.currency] = totals.get(payment.currency, zero) + payment.amount
            if on_payment is not None:
                on_payment(payment)
    result.row_count += rows
    result.control_sum = sum(totals.values(), zero)  # the per-currency totals are kept anyway


def _check_file_limits(policy: SenderPolicy, sender: str, result: ValidationResult) -> None:
    if result.row_count > policy.max_rows:
        result.add(ValidationIssue(
            None, None, codes.TOO_MANY_ROWS,
            f"file has {result.row_count} payment rows; sender {sender!r} may send at most "
            f"{policy.max_rows} per file. Split it into several files.",
        ))  # fmt: skip
    for currency, total in sorted(result.currency_totals.items()):
        limit = policy.file_limit(currency)
        if total > limit:
            result.add(ValidationIssue(
                None, None, codes.FILE_AMOUNT_OVER_LIMIT,
                f"the valid {currency} payments add up to {total:f} {currency}, over the file limit of "
                f"{limit} {currency} for sender {sender!r}; split the file or ask for a higher limit",
            ))  # fmt: skip


def _check_control_sum(result: ValidationResult) -> None:
    """pain.001 carries the file's total in 18 digits; a larger total cannot be written at all."""
    digits = len(result.control_sum.as_tuple().digits)
    if digits > MAX_CONTROL_SUM_DIGITS:
        result.add(ValidationIssue(
            None, None, codes.CONTROL_SUM_TOO_LARGE,
            f"the payments add up to {result.control_sum:f}, {digits} digits; pain.001 can carry a total "
            f"of at most {MAX_CONTROL_SUM_DIGITS} digits. Split the file into several smaller ones.",
        ))  # fmt: skip
