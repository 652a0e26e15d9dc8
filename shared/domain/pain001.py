"""pain.001.001.09 writing and XSD validation. Skeleton (agreed signatures)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from shared.domain.canonical import CanonicalDocument


class Pain001SchemaError(ValueError):
    """The XML does not validate against pain.001.001.09.xsd; the message lists errors with lines."""


def write_pain001(doc: CanonicalDocument, out: BinaryIO) -> None:
    raise NotImplementedError


def validate_pain001(source: BinaryIO | Path | bytes) -> None:
    raise NotImplementedError
