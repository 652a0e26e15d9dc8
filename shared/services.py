"""The bundle of ports every handler receives; built by `shared/bootstrap.py` or by a test.

Kept apart from bootstrap so handlers depend on this plain dataclass and never import the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from shared.domain.pain001 import InProcessChecks
from shared.domain.reference import ReferenceTable
from shared.handlers.faults import FaultPlan
from shared.handlers.reconcile.policy import ReconcilePolicy
from shared.ports import BlobStore, Clock, PaymentIndex, Publisher, SchemaChecks, Webhook

# A message body above this goes to a blob (claim-check); Service Bus Standard allows 256 KiB in total.
CLAIM_CHECK_THRESHOLD = 192 * 1024


class ReferenceSource(Protocol):
    """Where the current reference table comes from (cached by the real implementation)."""

    def load(self) -> ReferenceTable:
        """The current table; raise `ReferenceTableUnavailable` if it is missing or invalid."""


@dataclass
class Services:
    blobs: BlobStore
    publisher: Publisher
    clock: Clock
    reference: ReferenceSource
    payments: PaymentIndex
    faults: FaultPlan = field(default_factory=FaultPlan)
    claim_check_threshold: int = CLAIM_CHECK_THRESHOLD
    reconcile: ReconcilePolicy = field(default_factory=ReconcilePolicy)
    webhook: Webhook | None = None  # NOTIFIER_WEBHOOK_URL; None: nobody asked to be notified
    schema_checks: SchemaChecks = field(default_factory=InProcessChecks)  # where the creator's XSD check runs
