"""The Functions connection-setting convention, applied to our own SDK clients.

A setting `X` holding a connection string is used as is (`UseDevelopmentStorage=true` and the Service
Bus emulator's string included). Otherwise identity-based settings are read: `X__accountName`,
`X__blobServiceUri` (or `X__serviceUri`) for storage, `X__tableServiceUri` for the same account's
tables (the payment index), `X__fullyQualifiedNamespace` for Service Bus,
with `DefaultAzureCredential(managed_identity_client_id=X__clientId)`. Anything else is a
`ConfigurationError` naming the setting and what to set.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableServiceClient
from azure.identity import DefaultAzureCredential
from azure.servicebus import ServiceBusClient
from azure.storage.blob import BlobServiceClient
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.adapters.retry import storage_retry_policy
from shared.settings import ConfigurationError

# The SDK defaults buffer up to 32 MiB per download and 64 MiB per single-shot upload; 4 MiB pieces keep a
# large payment file's memory flat (streaming is a design requirement, see bench/).
PIECE = 4 * 1024 * 1024

# `requests` reads proxy settings, a CA bundle and netrc from the environment on every request when its
# session trusts it, which costs ~0.15 ms of CPU per request (it walks the whole environment twice). With no
# proxy or netrc setting, the client is given the CA bundle once instead and does not look: the same
# behaviour, since a process's environment does not change. The devhost (tools/functions-devhost) keeps its
# own copy for its host clients, on purpose: the deployed app cannot depend on a local tool, and the tool,
# installable alone, cannot import the app; ten lines do not earn a third package.
PROXY_ENVIRONMENT = frozenset(("http_proxy", "https_proxy", "all_proxy", "no_proxy", "netrc"))


def transport_options(environ: Mapping[str, str]) -> dict[str, Any]:
    """HTTP transport keywords for an SDK client: `{}` (read the environment per request) when a proxy or
    netrc setting is present, else `use_env_settings=False` plus the CA bundle requests would have used."""
    if any(name.lower() in PROXY_ENVIRONMENT for name in environ):
        return {}
    options: dict[str, Any] = {"use_env_settings": False}
    bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
    if bundle:
        options["connection_verify"] = bundle
    return options


# requests keeps 10 connections per host by default. The worker runs up to 32 sync invocations at once
# (PYTHON_THREADPOOL_THREAD_COUNT's ceiling) and a big file's claims add 8 threads, all on this process's
# one client per service: bursts logged "Connection pool is full, discarding connection", and each
# discarded connection is a new TCP (in Azure, TLS) handshake later. The pool is sized for them.
POOL_SIZE = 40


def pooled_transport(environ: Mapping[str, str]) -> RequestsTransport:
    """azure-core's requests transport over a session whose pool holds POOL_SIZE connections per host,
    configured as azure-core configures its own (urllib3's retries and redirects off: the SDK's policies
    do both), reading the environment per request only as `transport_options` says."""
    options = transport_options(environ)
    session = requests.Session()
    session.trust_env = bool(options.get("use_env_settings", True))
    adapter = HTTPAdapter(pool_maxsize=POOL_SIZE,
                          max_retries=Retry(total=False, redirect=False, raise_on_status=False))
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return RequestsTransport(session=session, session_owner=True, **options)


@dataclass(frozen=True)
class Target:
    """Either a connection string, or an endpoint plus an optional managed-identity client id."""

    setting: str
    connection_string: str | None = None
    endpoint: str | None = None
    client_id: str | None = None


def _pairs(value: str) -> dict[str, str]:
    pairs = {}
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep and key.strip():
            pairs[key.strip().lower()] = val.strip()
    return pairs


def resolve_storage(setting: str, environ: Mapping[str, str]) -> Target:
    value = environ.get(setting, "").strip()
    if value:
        return _storage_connection_string(setting, value)
    return _identity_endpoint(setting, environ, "blob", ("blobServiceUri", "serviceUri"))


def resolve_table(setting: str, environ: Mapping[str, str]) -> Target:
    """The same account's Table endpoint: the connection string (which must then carry a TableEndpoint
    or an account name and key), else `X__tableServiceUri`, else `https://<X__accountName>.table...`."""
    if environ.get(setting, "").strip():
        return resolve_storage(setting, environ)
    return _identity_endpoint(setting, environ, "table", ("tableServiceUri",))


def _identity_endpoint(setting: str, environ: Mapping[str, str], service: str,
                       uri_settings: tuple[str, ...]) -> Target:
    """An identity-based connection (the host's `X__<service>ServiceUri` / `X__accountName` settings)."""
    client_id = environ.get(f"{setting}__clientId") or None
    uris = (environ.get(f"{setting}__{name}") for name in uri_settings)
    uri = next((found for found in uris if found), "")
    if uri:
        return Target(setting, endpoint=uri.rstrip("/"), client_id=client_id)
    account = environ.get(f"{setting}__accountName")
    if account:
        return Target(setting, endpoint=f"https://{account}.{service}.core.windows.net", client_id=client_id)
    raise ConfigurationError(
        f"setting {setting} is not set: set {setting} to a storage connection string "
        f"(UseDevelopmentStorage=true locally), or {setting}__accountName / {setting}__{uri_settings[0]} "
        "(plus __clientId for a user-assigned identity) in Azure"
    )


def _storage_connection_string(setting: str, value: str) -> Target:
    keys = _pairs(value)
    if keys.get("usedevelopmentstorage", "").lower() == "true":
        return Target(setting, connection_string=value)
    if "accountkey" in keys and not _is_base64(keys["accountkey"]):
        # The SDK accepts it and fails only when signing the first request, on every request.
        raise ConfigurationError(
            f"setting {setting} has an AccountKey that is not base64: copy the key again from the storage "
            "account's Access keys, or use an identity-based setting"
        )
    signed = "accountkey" in keys or "sharedaccesssignature" in keys
    if "blobendpoint" in keys or ("accountname" in keys and signed):
        return Target(setting, connection_string=value)
    raise ConfigurationError(
        f"setting {setting} does not hold a storage connection string: set it to "
        "UseDevelopmentStorage=true (Azurite) or DefaultEndpointsProtocol=...;AccountName=...;"
        "AccountKey=..., "
        f"or remove it and set {setting}__accountName for a managed identity"
    )


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        return False
    return bool(text)


def resolve_service_bus(setting: str, environ: Mapping[str, str]) -> Target:
    value = environ.get(setting, "").strip()
    if value:
        keys = _pairs(value)
        host = keys.get("endpoint", "").removeprefix("sb://").strip("/")
        keyed = "sharedaccesskeyname" in keys and "sharedaccesskey" in keys
        signed = keyed or "sharedaccesssignature" in keys
        if keys.get("endpoint", "").startswith("sb://") and host and signed:
            return Target(setting, connection_string=value)
        raise ConfigurationError(
            f"setting {setting} does not hold a Service Bus connection string (Endpoint=sb://<namespace>;"
            "SharedAccessKeyName=...;SharedAccessKey=..., all three): fix it, or remove it and set "
            f"{setting}__fullyQualifiedNamespace for a managed identity"
        )
    namespace = environ.get(f"{setting}__fullyQualifiedNamespace", "").strip()
    if namespace:
        host = namespace.split("://", 1)[-1].strip("/")  # the host name; people paste sb:// or https:// URLs
        return Target(setting, endpoint=host, client_id=environ.get(f"{setting}__clientId") or None)
    raise ConfigurationError(
        f"setting {setting} is not set: set {setting} to a Service Bus connection string (the emulator's "
        f"locally), or {setting}__fullyQualifiedNamespace (plus __clientId) in Azure"
    )


def credential(target: Target) -> DefaultAzureCredential:
    return DefaultAzureCredential(managed_identity_client_id=target.client_id)


def blob_service_client(setting: str, environ: Mapping[str, str]) -> BlobServiceClient:
    target = resolve_storage(setting, environ)
    options: dict[str, Any] = {
        "max_single_get_size": PIECE, "max_chunk_get_size": PIECE, "max_single_put_size": PIECE,
        "max_block_size": PIECE, "retry_policy": storage_retry_policy(),
        "transport": pooled_transport(environ),
    }
    if target.connection_string:
        return BlobServiceClient.from_connection_string(target.connection_string, **options)
    assert target.endpoint is not None
    return BlobServiceClient(target.endpoint, credential=credential(target), **options)


def table_service_client(setting: str, environ: Mapping[str, str]) -> TableServiceClient:
    target = resolve_table(setting, environ)
    options = {"transport": pooled_transport(environ)}
    if target.connection_string:
        keys = _pairs(target.connection_string)
        shorthand = keys.get("usedevelopmentstorage", "").lower() == "true"  # the SDK expands it itself
        if not shorthand and "tableendpoint" not in keys and "accountkey" not in keys:
            raise ConfigurationError(
                f"setting {setting} has no TableEndpoint (nor an account key to derive one): add "
                "TableEndpoint=... for the payment index, or use an identity-based setting"
            )
        return TableServiceClient.from_connection_string(target.connection_string, **options)
    assert target.endpoint is not None
    return TableServiceClient(target.endpoint, credential=credential(target), **options)


def service_bus_client(setting: str, environ: Mapping[str, str]) -> ServiceBusClient:
    target = resolve_service_bus(setting, environ)
    if target.connection_string:
        return ServiceBusClient.from_connection_string(target.connection_string)
    assert target.endpoint is not None
    return ServiceBusClient(target.endpoint, credential=credential(target))
