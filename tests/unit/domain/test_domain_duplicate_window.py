"""The duplicate window: its reference-table field (optional, default 90 days, 0 = off), the one rule
that says whether an earlier claim blocks a payment, and the index keys payment ids become."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.domain.claim_keys import BUCKETS, claim_order, escape_key, partition_key
from shared.domain.duplicate_window import OwnerState, claim_blocks
from shared.domain.reference import ReferenceTableError, parse_reference_table
from tests.fakes import SAMPLE_REFERENCE

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def table_with(**fields: Any) -> dict[str, Any]:
    table: dict[str, Any] = json.loads(SAMPLE_REFERENCE.read_bytes())
    table["senders"]["acme-payroll"].update(fields)
    return table


def test_a_version_1_document_without_the_field_loads_unchanged_with_90_days() -> None:
    assert "duplicate_window_days" not in SAMPLE_REFERENCE.read_text()
    policy = parse_reference_table(SAMPLE_REFERENCE.read_bytes()).senders["acme-payroll"]
    assert policy.duplicate_window_days == 90


@pytest.mark.parametrize("days", [0, 1, 365])
def test_the_window_can_be_set_or_turned_off(days: int) -> None:
    policy = parse_reference_table(json.dumps(table_with(duplicate_window_days=days))).senders["acme-payroll"]
    assert policy.duplicate_window_days == days


@pytest.mark.parametrize("value", [-1, "90", 9.5, None])
def test_a_bad_window_is_named_by_its_path(value: Any) -> None:
    with pytest.raises(ReferenceTableError, match=r"senders\.acme-payroll\.duplicate_window_days"):
        parse_reference_table(json.dumps(table_with(duplicate_window_days=value)))


def test_unknown_keys_are_still_refused() -> None:
    with pytest.raises(ReferenceTableError, match="duplicate_window"):
        parse_reference_table(json.dumps(table_with(duplicate_window=30)))


@pytest.mark.parametrize(("state", "age_days", "window", "blocks"), [
    ("delivered", 89, 90, True),
    ("delivered", 90, 90, False),  # the window has passed: the same id may be paid again
    (None, 1, 90, True),  # in flight
    ("rejected", 0, 90, False), ("failed", 0, 90, False), ("duplicate", 0, 90, False),
    ("delivered", 0, 0, False),  # 0 turns the check off
])
def test_when_an_earlier_claim_blocks(state: str | None, age_days: int, window: int, blocks: bool) -> None:
    assert claim_blocks(OwnerState(state, NOW - timedelta(days=age_days)), NOW, window) is blocks


def test_keys_escape_what_table_keys_refuse_and_never_collide() -> None:
    ids = ["A/B", "A%2FB", "A?B", "A#B", "A\\B", "A\tB", "PLAIN-1 (x)"]
    keys = [escape_key(pid) for pid in ids]
    assert len(set(keys)) == len(ids)
    assert all(not set(key) & set("/\\#?") and all(ord(c) >= 0x20 for c in key) for key in keys)
    assert escape_key("PLAIN-1 (x)") == "PLAIN-1 (x)" and escape_key("A/B") == "A%2FB"
    assert escape_key("a~b") == "a%7Eb"  # `~` separates a sender from its bucket


def test_a_sender_s_claims_spread_over_its_partitions_and_stay_apart_from_other_senders() -> None:
    partitions = {partition_key("acme-payroll", f"PAY-{n:06d}") for n in range(100_000)}
    assert len(partitions) == BUCKETS and all(p.startswith("acme-payroll~") for p in partitions)
    # A run of sequential references shares a partition, so a small file claims in one transaction.
    assert len({partition_key("acme-payroll", f"PAY-{n:06d}") for n in range(1200, 1300)}) == 1
    assert partition_key("acme", "X") != partition_key("acme~1", "X")
    assert partition_key("s", "A") == partition_key("s", "A")  # stable: crc32, not the salted hash()
    ordered = sorted([f"ID-{n}" for n in range(50)], key=lambda pid: claim_order("s", pid))
    partitions_in_order = [claim_order("s", pid)[0] for pid in ordered]
    assert partitions_in_order == sorted(partitions_in_order)
