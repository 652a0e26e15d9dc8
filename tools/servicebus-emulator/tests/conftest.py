"""Fixtures for the emulator tests: a fake clock for the state machine, a running emulator for the SDKs."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest


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


@pytest.fixture
def entity(request: pytest.FixtureRequest) -> str:
    """A unique entity name per test (tests never share queues, topics or subscriptions)."""
    base = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[-40:].strip("-")
    return f"{base}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def make_emulator(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start an in-process emulator with the given queues/topics; stopped after the test."""
    from servicebus_emulator.testing import ThreadedEmulator

    started: list[ThreadedEmulator] = []

    def make(queues: dict[str, dict[str, Any]] | None = None, topics: list[dict[str, Any]] | None = None,
             **options: Any) -> ThreadedEmulator:
        namespace = {"Name": "sbemulatorns",
                     "Queues": [{"Name": n, "Properties": p} for n, p in (queues or {}).items()],
                     "Topics": topics or []}
        path = tmp_path / f"config-{len(started)}.json"
        path.write_text(json.dumps({"UserConfig": {"Namespaces": [namespace]}}), encoding="utf-8")
        emulator = ThreadedEmulator(path, **options).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
