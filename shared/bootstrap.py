"""Builds the app's services once per process, lazily, from the app settings: the one seam tests replace.

Nothing here runs at import. The first `get_services()` checks the settings (a `ConfigurationError` names
a missing or malformed one) and creates one BlobServiceClient and one TableServiceClient (the same
account); the Service Bus client is created on first
use. Tests call `set_services()`
with fakes and `reset_services()`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from azure.servicebus import ServiceBusClient

from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.azure_servicebus import ServiceBusPublisher
from shared.adapters.azure_table import AzureTablePaymentIndex
from shared.adapters.clock import clock_from_settings
from shared.adapters.connections import (
    blob_service_client,
    resolve_service_bus,
    service_bus_client,
    table_service_client,
)
from shared.adapters.schema_check_process import HelperProcessChecks
from shared.adapters.webhook import HttpWebhook
from shared.handlers.faults import FaultPlan
from shared.handlers.reconcile.policy import DEFAULT_STALLED_AFTER, DEFAULT_UNSEEN_AFTER, ReconcilePolicy
from shared.handlers.reference_loader import CachedReferenceTable
from shared.services import Services
from shared.settings import (
    RECONCILE_STALLED_AFTER_SETTING,
    RECONCILE_UNSEEN_AFTER_SETTING,
    ConfigurationError,
    Settings,
)

log = logging.getLogger(__name__)
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
    """Storage settings are checked here (nothing works without them). A bad Service Bus setting is
    logged here and raised by every send and by `Publisher.ready()`, which a step calls before its first
    side effect: the status function and the failure paths, which need only storage, keep working, and a
    file still reaches `failed` with the setting named as the reason."""
    env = settings.environ
    blobs = AzureBlobStore(blob_service_client(settings.payments_storage_setting, env))
    pinned = settings.pipeline_today
    if pinned is not None:
        # Loud on purpose: a pinned date in production would accept or reject files by the wrong day.
        log.warning("PIPELINE_TODAY=%s: the bank's date is pinned to %s instead of the clock's (a test and "
                    "rehearsal setting; never set it in Azure)", pinned.isoformat(), pinned.isoformat())
    clock = clock_from_settings(settings)
    publisher = ServiceBusPublisher(_service_bus_factory(settings))
    # The payment index lives on the same account as the blobs (its Table endpoint): one setting.
    payments = AzureTablePaymentIndex(table_service_client(settings.payments_storage_setting, env))
    webhook_url = settings.notifier_webhook_url
    return Services(
        blobs=blobs,
        publisher=publisher,
        clock=clock,
        reference=CachedReferenceTable(blobs, clock, settings.reference_cache_seconds),
        payments=payments,
        faults=FaultPlan.parse(settings.pipeline_faults),
        reconcile=ReconcilePolicy(
            unseen_after=settings.reconcile_wait(RECONCILE_UNSEEN_AFTER_SETTING, DEFAULT_UNSEEN_AFTER),
            stalled_after=settings.reconcile_wait(RECONCILE_STALLED_AFTER_SETTING, DEFAULT_STALLED_AFTER),
        ),
        webhook=HttpWebhook(webhook_url) if webhook_url else None,
        schema_checks=HelperProcessChecks(),  # a big pain.001 is checked on another core as it is written
    )


def _service_bus_factory(settings: Settings) -> Callable[[], ServiceBusClient]:
    try:
        resolve_service_bus(settings.service_bus_setting, settings.environ)
    except ConfigurationError as exc:
        log.error("%s; every send will fail until it is fixed", exc)
        problem = exc

        def unconfigured() -> ServiceBusClient:
            raise ConfigurationError(str(problem))

        return unconfigured
    return lambda: service_bus_client(settings.service_bus_setting, settings.environ)
