"""Remembering every payment_id of a file in compact memory, to report duplicates with the first row.

A Python set of a million strings costs about 100 MB; this open-addressing table stores one 64-bit
hash and one row number per id (about 24 bytes a slot at load <= 0.5), so memory stays small. Two
different ids collide with probability about n^2 / 2^65 (3e-8 for a million rows); the hash is the
built-in string hash, randomised per process, so a collision cannot be provoked or repeat on a retry.
"""

from __future__ import annotations

from array import array

_INITIAL_SLOTS = 1 << 12


class SeenIds:
    """`add(id, row)` returns the row where `id` was first seen, or None the first time."""

    def __init__(self) -> None:
        self._keys = array("q", bytes(8 * _INITIAL_SLOTS))
        self._rows = array("I", bytes(4 * _INITIAL_SLOTS))
        self._count = 0
        self._limit = _INITIAL_SLOTS // 2  # grow beyond half full, so probes stay short
        self._mask = _INITIAL_SLOTS - 1

    def __len__(self) -> int:
        return self._count

    def add(self, payment_id: str, row: int) -> int | None:
        key = hash(payment_id) or 1  # 0 marks an empty slot
        keys = self._keys
        mask = self._mask
        slot = key & mask
        while True:
            found = keys[slot]
            if found == 0:
                keys[slot] = key
                self._rows[slot] = row
                self._count += 1
                if self._count > self._limit:
                    self._grow()
                return None
            if found == key:
                return self._rows[slot]
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old_keys, old_rows = self._keys, self._rows
        size = len(old_keys) * 2
        self._limit = size // 2
        self._mask = size - 1
        self._keys = keys = array("q", bytes(8 * size))
        self._rows = rows = array("I", bytes(4 * size))
        mask = size - 1
        for key, row in zip(old_keys, old_rows, strict=True):
            if key:
                slot = key & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = key
                rows[slot] = row
