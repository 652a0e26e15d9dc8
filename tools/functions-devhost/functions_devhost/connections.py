"""One SDK client per connection setting, created on first use and shared, as the host shares them.

Clients are built lazily (never at import) from the connection string that `settings.resolve_connection`
finds for a binding's `connection` setting name.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient
from azure.storage.blob import LinearRetry as BlobLinearRetry
from azure.storage.queue import LinearRetry as QueueLinearRetry
from azure.storage.queue import QueueServiceClient

from functions_devhost.settings import resolve_connection


class Connections:
    """A cache of Blob, Queue and Service Bus clients keyed by connection setting name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def blob_service(self, setting: str) -> BlobServiceClient:
        client: BlobServiceClient = self._get("blob", setting)
        return client

    def queue_service(self, setting: str) -> QueueServiceClient:
        client: QueueServiceClient = self._get("queue", setting)
        return client

    def service_bus(self, setting: str) -> ServiceBusClient:
        client: ServiceBusClient = self._get("servicebus", setting)
        return client

    def _get(self, kind: str, setting: str) -> Any:
        with self._lock:
            key = (kind, setting)
            if key not in self._clients:
                self._clients[key] = _build(kind, resolve_connection(setting))
            return self._clients[key]

    def close(self) -> None:
        """Close every client (Service Bus clients hold an AMQP connection)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


# `requests` reads proxy settings, a CA bundle and netrc from the environment on every request when its
# session trusts it (~0.15 ms of CPU each: it walks the whole environment twice). With no proxy or netrc
# setting, the host's clients get the CA bundle once instead and do not look: the same behaviour. A
# deliberate copy of what an app may do for its own clients (the payments app beside this package does):
# this distribution imports no app, and an app must not depend on its local host when deployed.
PROXY_ENVIRONMENT = frozenset(("http_proxy", "https_proxy", "all_proxy", "no_proxy", "netrc"))


def transport_options() -> dict[str, Any]:
    if any(name.lower() in PROXY_ENVIRONMENT for name in os.environ):
        return {}
    options: dict[str, Any] = {"use_env_settings": False}
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        options["connection_verify"] = bundle
    return options


USER_AGENT = "devhost"  # tells the host's own storage requests from the app's in a request log


def host_retry_policy(policy: type[BlobLinearRetry] | type[QueueLinearRetry] = BlobLinearRetry) -> Any:
    """The host's own storage calls (scans, receipts, leases, the poison queue) retry briefly: its poll
    loops retry anyway, and the SDK's default (waits of 15, 18 and 24 s) kept the triggers silent for up to
    a minute after a few seconds of storage outage. The app's clients have their own policy."""
    return policy(backoff=1, retry_total=4, random_jitter_range=0.5)  # type: ignore[arg-type]


def _build(kind: str, connection_string: str) -> Any:
    if kind == "blob":
        return BlobServiceClient.from_connection_string(
            connection_string, user_agent=USER_AGENT, retry_policy=host_retry_policy(), **transport_options()
        )
    if kind == "queue":
        return QueueServiceClient.from_connection_string(
            connection_string, user_agent=USER_AGENT, retry_policy=host_retry_policy(QueueLinearRetry),
            **transport_options(),
        )
    return ServiceBusClient.from_connection_string(connection_string)
