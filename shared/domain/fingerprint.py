"""The fingerprint of a file's payments: the same payments give the same digest, whatever bytes carry them.

The duplicate-file registry keys on it, so a file re-saved with other line endings, a BOM, without its
final newline, or with its rows in another order is still the same file. It is computed from validated
`Payment`s (already normalised: IBANs compact, BICs upper case, amounts exact), never from the bytes.

Order does not count, and memory stays flat: each payment's sha256 is added as a 256-bit integer
(a multiset hash; payment ids are unique within a valid file, so no payment is ever added twice), and
the digest is the sha256 of that sum with the count. The row number is left out on purpose: it is where
a payment stands in the file, not what it is.
"""

from __future__ import annotations

import hashlib

from shared.domain.payments import Payment

_MODULUS = 1 << 256
_SEPARATOR = "\x1f"  # the ASCII unit separator: no validated field can contain it (charset checks)


def payment_key(payment: Payment) -> bytes:
    """The canonical form of one payment: every field except its row; the amount without trailing
    zeros (`125.5` and `125.50` are the same amount)."""
    amount = format(payment.amount.normalize(), "f")
    fields = (
        payment.payment_id, payment.debtor_iban, payment.debtor_name, payment.creditor_iban,
        payment.creditor_name, payment.creditor_bic or "", amount, payment.currency,
        payment.execution_date.isoformat(), payment.remittance_info,
    )  # fmt: skip
    return _SEPARATOR.join(fields).encode("utf-8")


class PaymentsFingerprint:
    """`add()` each payment, in any order; `hexdigest` is the file's fingerprint (64 hex)."""

    def __init__(self) -> None:
        self._sum = 0
        self.count = 0

    def add(self, payment: Payment) -> None:
        # Reduced modulo 2**256 once, in `hexdigest`: the same sum, without a big-integer division each.
        self._sum += int.from_bytes(hashlib.sha256(payment_key(payment)).digest(), "big")
        self.count += 1

    @property
    def hexdigest(self) -> str:
        state = f"payments-v1:{self.count}:{self._sum % _MODULUS:064x}".encode()
        return hashlib.sha256(state).hexdigest()
