"""A missing or malformed app setting is reported by `get_services()`, before any handler touches a file,
as a `ConfigurationError` naming the setting and what to set; never later, mid-file, as an SDK error."""

from __future__ import annotations

import pytest

from shared.adapters.connections import resolve_service_bus, resolve_storage, service_bus_client
from shared.bootstrap import build_services
from shared.settings import ConfigurationError, Settings

pytestmark = pytest.mark.unit
EMULATOR = (
    "Endpoint=sb://localhost:5672;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
)
STORAGE = {"PaymentsStorage": "UseDevelopmentStorage=true"}


def test_a_missing_service_bus_setting_fails_when_services_are_built() -> None:
    with pytest.raises(ConfigurationError, match="setting ServiceBusConnection is not set"):
        build_services(Settings.from_env(STORAGE))


def test_complete_settings_build_services_without_connecting() -> None:
    services = build_services(Settings.from_env({**STORAGE, "ServiceBusConnection": EMULATOR}))
    assert services.claim_check_threshold > 0


@pytest.mark.parametrize(
    "value",
    [
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=abc",
        "Endpoint=sb://;SharedAccessKeyName=a;SharedAccessKey=b",
    ],
)
def test_a_malformed_service_bus_connection_string_names_the_setting(value: str) -> None:
    with pytest.raises(ConfigurationError, match="setting SB does not hold a Service Bus connection string"):
        resolve_service_bus("SB", {"SB": value})
    with pytest.raises(ConfigurationError, match="setting SB"):
        build_services(Settings(environ={**STORAGE, "SB": value}, service_bus_setting="SB"))


def test_a_shared_access_signature_connection_string_is_accepted() -> None:
    value = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=y"
    assert resolve_service_bus("SB", {"SB": value}).connection_string == value


def test_a_namespace_given_as_a_url_is_reduced_to_the_host_name() -> None:
    target = resolve_service_bus("SB", {"SB__fullyQualifiedNamespace": "sb://ns.servicebus.windows.net/"})
    assert target.endpoint == "ns.servicebus.windows.net"
    assert service_bus_client("SB", {"SB__fullyQualifiedNamespace": "ns.servicebus.windows.net"})


def test_an_account_key_that_is_not_base64_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match="setting S has an AccountKey that is not base64"):
        resolve_storage("S", {"S": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=!!not-a-key"})


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "soon"])
def test_reference_cache_seconds_must_be_a_finite_number(raw: str) -> None:
    with pytest.raises(ConfigurationError, match=f"REFERENCE_CACHE_SECONDS={raw!r} is invalid"):
        _ = Settings.from_env({"REFERENCE_CACHE_SECONDS": raw}).reference_cache_seconds
