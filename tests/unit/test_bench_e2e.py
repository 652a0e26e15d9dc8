"""bench.e2e's pure parts: the warm-up files' names (every worker warmed) and the stage summary (where
each burst file spent its time, from its upload and timeline moments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from functions_devhost.supervisor import in_partition

from bench.e2e import WARM_UP_PER_WORKER, stage_seconds, warm_up_names
from shared.topology import INCOMING_CONTAINER

pytestmark = pytest.mark.unit
START = datetime(2031, 1, 14, 9, 0, tzinfo=UTC)


def _at(**offsets: float) -> dict[str, datetime]:
    return {event: START + timedelta(seconds=seconds) for event, seconds in offsets.items()}


def test_each_stage_is_the_time_between_its_two_moments() -> None:
    spent = stage_seconds([
        _at(upload=0, received=2.5, validated=2.75, adapted=3.0, delivered=3.5),
        _at(upload=0.5, received=1.0, validated=2.0, adapted=2.5, delivered=4.0),
    ])  # fmt: skip
    assert spent == {
        "upload → received": [2.5, 0.5],
        "received → validated": [0.25, 1.0],
        "validated → adapted": [0.25, 0.5],
        "adapted → delivered": [0.5, 1.5],
    }


def test_a_file_missing_a_moment_is_left_out_of_that_stage_only() -> None:
    # A rejected file has no `validated` (and no `delivered`): only its wait for a validator counts.
    spent = stage_seconds([_at(upload=0, received=1.5, rejected=2.0)])
    assert spent["upload → received"] == [1.5]
    assert spent["received → validated"] == spent["validated → adapted"] == spent["adapted → delivered"] == []


@pytest.mark.parametrize("workers", [1, 2, 3, 10])
def test_the_warm_up_gives_every_worker_its_share(workers: int) -> None:
    names = warm_up_names(workers)
    assert len(set(names)) == len(names) == workers * WARM_UP_PER_WORKER
    for index in range(workers):  # as the devhost splits the blobs between its worker processes
        mine = [name for name in names if in_partition(INCOMING_CONTAINER, name, index, workers)]
        assert len(mine) == WARM_UP_PER_WORKER
