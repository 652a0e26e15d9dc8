"""Validating a payment file (CSV, UTF-8) against the reference table, streaming line by line.

Skeleton: the signature is the agreed interface; the implementation follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from shared.domain.issues import ValidationIssue
from shared.domain.payments import Payment
from shared.domain.reference import ReferenceTable

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_REPORTED_ISSUES = 1000


@dataclass(slots=True)
class ValidationResult:
    """All issues found (the first MAX_REPORTED_ISSUES kept), how many rows, and the sum of valid amounts."""

    issues: list[ValidationIssue]
    issue_count: int
    row_count: int
    control_sum: Decimal

    @property
    def valid(self) -> bool:
        return self.issue_count == 0

    def to_report(self) -> dict[str, Any]:
        return {
            "state": "valid" if self.valid else "rejected",
            "errors": [issue.to_dict() for issue in self.issues],
            "error_count": self.issue_count,
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
    raise NotImplementedError
