"""host.json settings the app relies on, checked against each other and against the topology."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.topology import namespace

pytestmark = pytest.mark.functions
ROOT = Path(__file__).resolve().parents[2]


def host() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    return document


def span(text: str) -> timedelta:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def test_the_message_lock_is_renewed_for_as_long_as_a_function_may_run() -> None:
    """Otherwise a big file's creator outlives its lock: the broker redelivers the message to a second
    instance while the first is still writing, and counts a delivery that never failed."""
    settings = host()
    renewal = span(settings["extensions"]["serviceBus"]["maxAutoLockRenewalDuration"])
    assert renewal >= span(settings["functionTimeout"])


def test_the_extension_bundle_and_settings_the_app_relies_on() -> None:
    settings = host()
    assert settings["extensionBundle"]["version"] == "[4.*, 5.0.0)"
    assert settings["extensions"]["serviceBus"]["autoCompleteMessages"] is True
    assert settings["extensions"]["blobs"]["poisonBlobThreshold"] >= 1
    deliveries = {q["Properties"]["MaxDeliveryCount"] for q in namespace()["Queues"]}
    assert all(count >= 2 for count in deliveries), "a single transient error would dead-letter a file"
