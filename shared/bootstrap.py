"""Builds the app's services once per process, lazily, from the app settings: the one seam tests replace.

Nothing here runs at import. The first `get_services()` checks every setting (raising a
`ConfigurationError` that names a missing or malformed one, before any file is touched) and creates one
BlobServiceClient; the Service Bus client is created on the first send. Tests call `set_services()`
with fakes and `reset_services()`.
"""

from __future__ import annotations

import threading

from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.azure_servicebus import ServiceBusPublisher
from shared.adapters.clock import SystemClock
from shared.adapters.connections import blob_service_client, resolve_service_bus, service_bus_client
from shared.handlers.faults import FaultPlan
from shared.handlers.reference_loader import CachedReferenceTable
from shared.services import Services
from shared.settings import Settings

_lock = threading.Lock()
_services: Services | None = None


def get_services() -> Services:
    """The process-wide services, built on first use."""
    global _services  # noqa: PLW0603 (the process-wide singleton is the point of this module)
    current = _services
    if current is not None:
        return current
    with _lock:
        if _services is None:
            _services = build_services(Settings.from_env())
        return _services


def set_services(services: Services) -> None:
    """Replace the services (tests, or a host that builds its own)."""
    global _services  # noqa: PLW0603
    with _lock:
        _services = services


def reset_services() -> None:
    """Forget the services; the next `get_services()` builds them again from the settings."""
    global _services  # noqa: PLW0603
    with _lock:
        _services = None


def build_services(settings: Settings) -> Services:
    """Every setting is checked here, on the first invocation, before any handler touches a file; the
    Service Bus client itself is still created only on the first send."""
    env = settings.environ
    resolve_service_bus(settings.service_bus_setting, env)
    blobs = AzureBlobStore(blob_service_client(settings.payments_storage_setting, env))
    clock = SystemClock()
    publisher = ServiceBusPublisher(lambda: service_bus_client(settings.service_bus_setting, env))
    return Services(
        blobs=blobs,
        publisher=publisher,
        clock=clock,
        reference=CachedReferenceTable(blobs, clock, settings.reference_cache_seconds),
        faults=FaultPlan.parse(settings.pipeline_faults),
    )
