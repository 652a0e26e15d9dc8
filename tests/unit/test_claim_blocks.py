"""The payment index's block entity (`shared/adapters/claim_blocks.py`): what it writes reads back the
same, big blocks split over properties, and a file's claims come out alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.claim_blocks import CHUNK, MAX_FILES, Block, BlockFull, block_of, file_property
from shared.ports import PaymentClaim

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def claim(pid: str, file_id: str, version: str = "") -> PaymentClaim:
    return PaymentClaim(pid, file_id, f"s/{file_id}.csv", NOW, version)


def test_a_block_reads_back_what_it_wrote_with_the_version_it_was_read_at() -> None:
    block = Block("s~3", "b:INV-0001").add([claim("INV-000100", "f1"), claim("INV-000101", "f2")])
    read = block_of(block.entity(), "etag-1")
    assert read.holds("INV-000100") == claim("INV-000100", "f1", "etag-1")
    assert read.holds("INV-000101") == claim("INV-000101", "f2", "etag-1")
    assert read.holds("INV-000102") is None
    assert block.entity()[file_property("f1")] == "f1" and file_property("f1") != file_property("f2")


def test_a_takeover_replaces_the_owner_and_a_file_left_with_nothing_is_dropped() -> None:
    block = Block("p", "b:X").add([claim("X01", "old")]).add([claim("X01", "new")])
    assert set(block.files) == {"new"} and file_property("old") not in block.entity()


def test_without_removes_only_that_file_s_claims() -> None:
    block = Block("p", "b:X").add([claim("X01", "f1"), claim("X02", "f2"), claim("X03", "f1")])
    kept, released = block.without("f1")
    assert released == 2 and kept.claims == {"X02": "f2"} and set(kept.files) == {"f2"}
    assert block.without("nobody")[1] == 0


def test_a_big_block_is_split_over_properties_and_joined_back() -> None:
    ids = [f"{'L' * 30}{chr(0x4E00 + n)}{chr(0x4E00 + m)}" for n in range(40) for m in range(40)]
    block = Block("p", "b:L").add([claim(pid, f"file-{n % 3}") for n, pid in enumerate(ids)])
    entity = block.entity()
    assert "c1" in entity and all(len(entity[key]) <= CHUNK for key in entity if key.startswith("c"))
    assert block_of(entity, "e").claims == block.claims


def test_a_block_past_the_entity_limits_is_refused_naming_what_to_change() -> None:
    block = Block("p", "b:X").add([claim(f"X{n:03d}", f"file-{n}") for n in range(MAX_FILES + 1)])
    with pytest.raises(BlockFull, match="differ earlier than in their last two characters"):
        block.entity()
