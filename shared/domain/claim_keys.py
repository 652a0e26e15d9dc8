"""How a sender and a payment id become keys of the payment index, in one place for every store.

Azure Table keys may not hold `/`, `\\`, `#`, `?` or control characters, and ISO 20022 payment ids may
hold `/` and `?`. Such characters, and `%` itself, are percent-encoded, so two different ids never
share a key. The validator claims a file's payments in `payment_key` order, so each batch covers one
narrow key range that a single range query can read back when a batch meets claims of another file.
"""

from __future__ import annotations

_FORBIDDEN = frozenset("/\\#?%")
PAYMENT_PREFIX = "p:"  # claims; a batch's record is "b:<file id>:<number>", so the two never collide
BATCH_PREFIX = "b:"


def escape_key(text: str) -> str:
    """`text` with every character a Table key refuses percent-encoded (UTF-8 bytes, upper-case hex)."""
    if not any(c in _FORBIDDEN or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        return text
    out = []
    for char in text:
        if char in _FORBIDDEN or ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


def payment_key(payment_id: str) -> str:
    return PAYMENT_PREFIX + escape_key(payment_id)


def batch_key(file_id: str, number: int) -> str:
    return f"{BATCH_PREFIX}{escape_key(file_id)}:{number:06d}"


def batch_prefix(file_id: str) -> str:
    return f"{BATCH_PREFIX}{escape_key(file_id)}:"
