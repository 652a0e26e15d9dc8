"""Fixtures for the emulator tests: a fake clock for the state machine, a running emulator for the SDKs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

# pyproject.toml sets no pytest `pythonpath`; make the repo root importable for plain `pytest` runs too.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.current = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    yield FakeClock()
