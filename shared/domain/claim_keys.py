"""How a sender and a payment id become keys of the payment index, in one place for every store.

Azure Table keys may not hold `/`, `\\`, `#`, `?` or control characters, and ISO 20022 payment ids may
hold `/` and `?`. Such characters, `%` itself and `~` (the partition separator) are percent-encoded, so
two different ids never share a key.

A sender's claims are spread over `BUCKETS` partitions, `<sender>~<bucket>`: a single Table partition
takes about 2,000 entities a second, so one partition per sender would hold a 100,000-row file's claims
for 50 seconds. The bucket is a hex digit of the crc32 of the id without its last two characters, so
ids that differ only there (a run of 100 sequential references, as payment files number them) share a
partition: a small file claims in one or two transactions, a big one spreads over all 16. An
entity-group transaction stays inside one partition, so the validator claims in `claim_order` (by
partition, then row key): each batch is one partition and one narrow key range, which a single range
query reads back when the batch meets claims.
"""

from __future__ import annotations

import re
import zlib

BUCKETS = 16
PAYMENT_PREFIX = "p:"
_REFUSED = re.compile("[/\\\\#?%~\x00-\x1f\x7f-\x9f]")  # what Table keys refuse; `%`; the separator `~`


def escape_key(text: str) -> str:
    """`text` with every character a Table key refuses percent-encoded (UTF-8 bytes, upper-case hex)."""
    if _REFUSED.search(text) is None:  # nearly every id: checked once per claim, so kept cheap
        return text
    return _REFUSED.sub(lambda found: "".join(f"%{b:02X}" for b in found.group().encode("utf-8")), text)


def payment_key(payment_id: str) -> str:
    """The row key of a payment id's claim."""
    return PAYMENT_PREFIX + escape_key(payment_id)


def partition_key(sender: str, payment_id: str) -> str:
    """The partition of a payment id's claim: the sender and the id's bucket."""
    stem = payment_id[:-2] if len(payment_id) > 2 else payment_id
    return f"{sender_partition_prefix(sender)}{zlib.crc32(stem.encode('utf-8')) % BUCKETS:x}"


def sender_partition_prefix(sender: str) -> str:
    """What every partition of `sender` starts with (followed by one hex digit)."""
    return f"{escape_key(sender)}~"


def claim_order(sender: str, payment_id: str) -> tuple[str, str]:
    """The order a file's ids are claimed in: by partition, then by row key."""
    return partition_key(sender, payment_id), payment_key(payment_id)
