"""Adaptation: validated payments -> the canonical grouped document. Skeleton (agreed signature)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shared.domain.canonical import CanonicalDocument
from shared.domain.payments import Payment


def adapt(
    payments: Iterable[Payment], *, file_id: str, sender: str, sender_name: str, creation_time: datetime
) -> CanonicalDocument:
    raise NotImplementedError
