"""SortedSpill: every item back, once, in sorted order, with a run's worth of them in memory."""

from __future__ import annotations

import random

import pytest

from shared.domain.spill import SortedSpill

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("count", "run", "chunk"), [(0, 5, 2), (4, 5, 2), (5, 5, 2), (101, 7, 3), (500, 64, 10)]
)
def test_items_come_back_sorted_across_runs_and_chunks(count: int, run: int, chunk: int) -> None:
    items = [(f"p{n % 13}", f"b{n % 7}", f"id{n:05d}", n) for n in range(count)]
    random.Random(count).shuffle(items)
    spill = SortedSpill(run=run, chunk=chunk)
    for item in items:
        spill.add(item)
    assert len(spill) == count
    assert list(spill) == sorted(items)
    spill.close()


def test_a_run_is_the_most_it_holds_before_writing() -> None:
    spill = SortedSpill(run=10, chunk=4)
    for n in range(25):
        spill.add((f"{n:03d}",))
    assert len(spill._buffer) == 5 and len(spill._runs) == 2  # two runs written, five items waiting
    assert [item[0] for item in spill] == [f"{n:03d}" for n in range(25)]
    spill.close()
