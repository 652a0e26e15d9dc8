"""The offline pipeline: validate -> adapt -> write -> XSD-validate. Skeleton (agreed signature)."""

from __future__ import annotations

from datetime import date, datetime
from typing import BinaryIO

from shared.domain.reference import ReferenceTable
from shared.domain.validation import ValidationResult


def run_offline(
    stream: BinaryIO,
    *,
    blob_path: str,
    file_id: str,
    reference: ReferenceTable,
    today: date,
    creation_time: datetime,
    out: BinaryIO,
) -> ValidationResult:
    raise NotImplementedError
