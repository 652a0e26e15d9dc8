"""Validation issues and warnings, each with a stable snake_case code.

An issue rejects the file; a warning does not, but says what the pipeline changed (a transliterated
name, a shifted date) so that a delivered file can be explained. File-level entries have `row = None`;
row-level ones carry the physical line number (header = line 1) and, where one column is at fault, its
header name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The stable codes, so that operators and tests can rely on them.
HEADER_MISMATCH = "header_mismatch"
INVALID_ENCODING = "invalid_encoding"
EMPTY_FILE = "empty_file"
TOO_MANY_ROWS = "too_many_rows"
FILE_TOO_LARGE = "file_too_large"
LINE_TOO_LONG = "line_too_long"
MALFORMED_ROW = "malformed_row"
WRONG_COLUMN_COUNT = "wrong_column_count"
DUPLICATE_PAYMENT_ID = "duplicate_payment_id"
DUPLICATE_PAYMENT = "duplicate_payment"  # across files: already delivered (or in flight) in an earlier file
PAYMENT_ID_TOO_LONG = "payment_id_too_long"
INVALID_CHARACTERS = "invalid_characters"
INVALID_IBAN = "invalid_iban"
INVALID_BIC = "invalid_bic"
INVALID_CURRENCY = "invalid_currency"
CURRENCY_NOT_ALLOWED = "currency_not_allowed"
INVALID_AMOUNT = "invalid_amount"
AMOUNT_DECIMALS = "amount_decimals"
AMOUNT_NOT_POSITIVE = "amount_not_positive"
AMOUNT_OVER_LIMIT = "amount_over_limit"
FILE_AMOUNT_OVER_LIMIT = "file_amount_over_limit"
INVALID_DATE = "invalid_date"
DATE_OUTSIDE_WINDOW = "date_outside_window"
FIELD_TOO_LONG = "field_too_long"
UNKNOWN_SENDER = "unknown_sender"
SENDER_SUSPENDED = "sender_suspended"
DEBTOR_NOT_REGISTERED = "debtor_not_registered"
MISSING_VALUE = "missing_value"
TEXT_LOST = "text_lost"
CONTROL_SUM_TOO_LARGE = "control_sum_too_large"
CREDITOR_IS_DEBTOR = "creditor_is_debtor"
BIC_COUNTRY_MISMATCH = "bic_country_mismatch"
CREDITOR_BIC_REQUIRED = "creditor_bic_required"
CREDITOR_ADDRESS_REQUIRED = "creditor_address_required"
INCOMPLETE_ADDRESS = "incomplete_address"
INVALID_COUNTRY = "invalid_country"
DEBTOR_ADDRESS_MISSING = "debtor_address_missing"
NOT_A_BUSINESS_DAY = "not_a_business_day"
# Warning codes: the file is delivered, and the sender is told what was changed.
TRANSLITERATED = "transliterated"
BIC_UNKNOWN = "bic_unknown"
DATE_SHIFTED = "date_shifted"


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem: where it is (row, column), a stable code, and a message an operator can act on."""

    row: int | None
    column: str | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass(slots=True)
class ValidationWarning:
    """Something the pipeline changed or doubts, with the value before and after when there is one.

    The same change on many rows (one name on every payroll line) is one warning: `row` is the first
    row and `rows` counts them all."""

    row: int | None
    column: str | None
    code: str
    message: str
    before: str | None = None
    after: str | None = None
    rows: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message,
                "before": self.before, "after": self.after, "rows": self.rows}  # fmt: skip
