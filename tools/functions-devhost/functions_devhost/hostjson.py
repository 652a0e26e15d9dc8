"""`host.json` options the devhost honours, with the Functions host's own defaults.

Only the knobs that change trigger behaviour are read: `extensions.serviceBus`, `extensions.blobs`,
`extensions.queues` and `extensions.http.routePrefix`. Durations use the host's TimeSpan form `[d.]hh:mm:ss`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions_devhost.errors import DevhostError

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")


@dataclass(frozen=True)
class ServiceBusOptions:
    """`extensions.serviceBus` (extension 5.x)."""

    max_concurrent_calls: int
    max_auto_lock_renewal_seconds: float
    auto_complete_messages: bool
    prefetch_count: int


@dataclass(frozen=True)
class BlobOptions:
    """`extensions.blobs`."""

    max_degree_of_parallelism: int
    poison_blob_threshold: int


@dataclass(frozen=True)
class QueueOptions:
    """`extensions.queues`."""

    batch_size: int
    max_dequeue_count: int
    visibility_timeout_seconds: float
    message_encoding: str
    max_polling_interval_seconds: float


@dataclass(frozen=True)
class HostOptions:
    """Everything read from host.json."""

    service_bus: ServiceBusOptions
    blobs: BlobOptions
    queues: QueueOptions
    route_prefix: str


def parse_timespan(text: str, where: str) -> float:
    """Seconds in a host TimeSpan such as `00:05:00` or `1.00:00:00`."""
    match = _TIMESPAN.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise DevhostError(f'host.json: {where} must be a TimeSpan like "00:05:00", not {text!r}.')
    days, hours, minutes, seconds = match.groups()
    return ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + float(seconds)


def load_host_options(app_dir: Path) -> HostOptions:
    """Read host.json from the app folder (a missing file means all defaults)."""
    path = app_dir / "host.json"
    document: dict[str, Any] = {}
    if path.exists():
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise DevhostError(
                f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
            ) from None
    extensions = document.get("extensions") or {}
    if not isinstance(extensions, dict):
        raise DevhostError(f'{path}: "extensions" must be an object.')
    cores = os.cpu_count() or 1
    return HostOptions(
        service_bus=_service_bus(_section(extensions, "serviceBus"), cores),
        blobs=_blobs(_section(extensions, "blobs"), cores),
        queues=_queues(_section(extensions, "queues")),
        route_prefix=str(_section(extensions, "http").get("routePrefix", "api")).strip("/"),
    )


def _section(extensions: dict[str, Any], name: str) -> dict[str, Any]:
    section = extensions.get(name) or {}
    if not isinstance(section, dict):
        raise DevhostError(f"host.json: extensions.{name} must be an object.")
    return section


def _positive_int(section: dict[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DevhostError(f"host.json: extensions.{where}.{key} must be a whole number ≥ 1, not {value!r}.")
    return value


def _service_bus(section: dict[str, Any], cores: int) -> ServiceBusOptions:
    prefetch = section.get("prefetchCount", 0)
    if not isinstance(prefetch, int) or prefetch < 0:
        raise DevhostError(f"host.json: extensions.serviceBus.prefetchCount must be ≥ 0, not {prefetch!r}.")
    return ServiceBusOptions(
        max_concurrent_calls=_positive_int(section, "maxConcurrentCalls", 16 * cores, "serviceBus"),
        max_auto_lock_renewal_seconds=parse_timespan(
            section.get("maxAutoLockRenewalDuration", "00:05:00"),
            "extensions.serviceBus.maxAutoLockRenewalDuration",
        ),
        auto_complete_messages=bool(section.get("autoCompleteMessages", True)),
        prefetch_count=prefetch,
    )


def _blobs(section: dict[str, Any], cores: int) -> BlobOptions:
    return BlobOptions(
        max_degree_of_parallelism=_positive_int(section, "maxDegreeOfParallelism", 8 * cores, "blobs"),
        poison_blob_threshold=_positive_int(section, "poisonBlobThreshold", 5, "blobs"),
    )


def _queues(section: dict[str, Any]) -> QueueOptions:
    encoding = str(section.get("messageEncoding", "base64")).lower()
    if encoding not in ("base64", "none"):
        raise DevhostError(
            f'host.json: extensions.queues.messageEncoding must be "base64" or "none", not {encoding!r}.'
        )
    return QueueOptions(
        batch_size=_positive_int(section, "batchSize", 16, "queues"),
        max_dequeue_count=_positive_int(section, "maxDequeueCount", 5, "queues"),
        visibility_timeout_seconds=parse_timespan(
            section.get("visibilityTimeout", "00:00:00"), "extensions.queues.visibilityTimeout"
        ),
        message_encoding=encoding,
        # The host backs off to 1 minute when idle; unless host.json says otherwise, the devhost stops at
        # 2 seconds so that a poison message shows up quickly on a developer's machine.
        max_polling_interval_seconds=parse_timespan(
            section.get("maxPollingInterval", "00:00:02"), "extensions.queues.maxPollingInterval"
        ),
    )
