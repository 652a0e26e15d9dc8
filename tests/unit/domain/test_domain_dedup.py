"""SeenIds: finds every duplicate with its first row, across table growth."""

from __future__ import annotations

import pytest

from shared.domain.dedup import SeenIds

pytestmark = pytest.mark.unit


def test_first_sighting_then_the_first_row() -> None:
    seen = SeenIds()
    assert seen.add("A", 2) is None
    assert seen.add("B", 3) is None
    assert seen.add("A", 9) == 2
    assert seen.add("A", 10) == 2
    assert len(seen) == 2


def test_many_ids_survive_growth() -> None:
    seen = SeenIds()
    count = 50_000  # several doublings of the initial 4096 slots
    assert all(seen.add(f"PAY-{n}", n + 2) is None for n in range(count))
    assert len(seen) == count
    assert [seen.add(f"PAY-{n}", 0) for n in (0, 4095, 4096, 49_999)] == [2, 4097, 4098, 50_001]
    assert seen.add("PAY-50000", 1) is None
