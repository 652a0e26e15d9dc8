"""How a sender and a payment id become keys of the payment index, in one place for every store.

Azure Table keys may not hold `/`, `\\`, `#`, `?` or control characters, and ISO 20022 payment ids may
hold `/` and `?`. Such characters, `%` itself and `~` (the partition separator) are percent-encoded, so
two different ids never share a key.

Ids that differ only in their last two characters share a *block*: a run of up to 100
sequential references, as payment files number them, is stored as one entity (`block_key`), so a
100,000-row file claims about 1,000 entities instead of 100,000 (each entity costs the store the same
work whatever it holds; Azurite takes well under 100 entities a second on a busy machine).

A sender's blocks are spread over `BUCKETS` partitions, `<sender>~<bucket>`: a single Table partition
takes about 2,000 entities a second. The bucket is a hex digit of the crc32 of the id without its last
three characters (the same for every id of a block), so a small file claims in one transaction and a big
one spreads over all 16. An entity-group
transaction stays inside one partition, so the validator claims in `claim_order` (by partition, block,
then id): each batch is whole blocks of one partition and one narrow key range, which a single range
query reads back when the batch meets claims.
"""

from __future__ import annotations

import functools
import re
import zlib

BUCKETS = 16
BLOCK_PREFIX = "b:"
_REFUSED = re.compile("[/\\\\#?%~\x00-\x1f\x7f-\x9f]")  # what Table keys refuse; `%`; the separator `~`


def escape_key(text: str) -> str:
    """`text` with every character a Table key refuses percent-encoded (UTF-8 bytes, upper-case hex)."""
    if _REFUSED.search(text) is None:  # nearly every id: checked once per claim, so kept cheap
        return text
    return _REFUSED.sub(lambda found: "".join(f"%{b:02X}" for b in found.group().encode("utf-8")), text)


def block_key(payment_id: str) -> str:
    """The row key of the block that holds a payment id's claim."""
    return _block_key_of_stem(payment_id[:-2])


def partition_key(sender: str, payment_id: str) -> str:
    """The partition of a payment id's claim (and of its block): the sender and a bucket of the id
    without its last three characters, so the ten blocks of a run of 1,000 share a partition (a 100-row
    file whose run crosses a hundred still claims in one transaction)."""
    return _partition_of_stem(sender, payment_id[:-3])


# Keys are computed for every id of a file (100,000 of a big one) and ids of one block share them, so
# each stem's keys are computed once.
@functools.lru_cache(maxsize=65_536)
def _block_key_of_stem(stem: str) -> str:
    return BLOCK_PREFIX + escape_key(stem)


@functools.lru_cache(maxsize=65_536)
def _partition_of_stem(sender: str, stem: str) -> str:
    return f"{sender_partition_prefix(sender)}{zlib.crc32(stem.encode('utf-8')) % BUCKETS:x}"


def sender_partition_prefix(sender: str) -> str:
    """What every partition of `sender` starts with (followed by one hex digit)."""
    return f"{escape_key(sender)}~"


def claim_order(sender: str, payment_id: str) -> tuple[str, str, str]:
    """The order a file's ids are claimed in: by partition, then block, then id (a block's ids are
    contiguous, so a batch cut between blocks never splits one). The partition and block strings are
    shared by every id of a block (cached), so a million of these stay small."""
    return partition_key(sender, payment_id), block_key(payment_id), payment_id
