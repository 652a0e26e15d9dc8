"""The offline pipeline: validate -> adapt -> write pain.001 -> XSD-validate, in one process, no Azure.

It calls exactly the domain functions the three Azure functions call, but hands payments from the
validator straight to the adaptor (`Adapter.add` as `on_payment`) instead of through a message. The
XML is staged in a temporary file and copied to `out` only after it validates, so `out` receives
nothing for a rejected file or an XSD failure.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime
from typing import BinaryIO

from shared.domain.adaptation import Adapter, registered_debtor
from shared.domain.ids import sender_from_blob_path
from shared.domain.pain001 import validate_pain001, write_pain001
from shared.domain.reference import ReferenceTable
from shared.domain.validation import MAX_FILE_BYTES, ValidationResult, validate_payment_file


def run_offline(
    stream: BinaryIO,
    *,
    blob_path: str,
    file_id: str,
    reference: ReferenceTable,
    today: date,
    creation_time: datetime,
    out: BinaryIO,
    max_bytes: int = MAX_FILE_BYTES,
) -> ValidationResult:
    """Run the whole pipeline on `stream`; raises `Pain001SchemaError` only if the writer has a bug."""
    sender = sender_from_blob_path(blob_path)
    policy = reference.senders.get(sender)
    adapter = Adapter(file_id=file_id, sender=sender, sender_name=policy.name if policy else sender,
                      creation_time=creation_time, debtor=registered_debtor(policy) if policy else None)
    try:
        result = validate_payment_file(stream, sender=sender, reference=reference, today=today,
                                       on_payment=adapter.add, max_bytes=max_bytes)
        if result.valid:
            _write_checked(adapter, out)
        return result
    finally:
        adapter.close()


def _write_checked(adapter: Adapter, out: BinaryIO) -> None:
    """The pain.001 staged, XSD-validated, and only then copied to `out`."""
    with adapter.finish() as document, tempfile.TemporaryFile() as staged:
        write_pain001(document, staged)
        staged.seek(0)
        validate_pain001(staged)
        staged.seek(0)
        shutil.copyfileobj(staged, out)
