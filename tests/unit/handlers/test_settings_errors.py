"""A missing or malformed app setting is a `ConfigurationError` naming the setting and what to set, raised
before a handler touches a file; never later, mid-file, as an SDK error. Storage settings fail
`get_services()`; a Service Bus setting fails every send (and `Publisher.ready()`, which the validator
calls first), so the status function keeps working and a file still ends `failed` with the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from shared.adapters.clock import SystemClock
from shared.adapters.connections import resolve_service_bus, resolve_storage, service_bus_client
from shared.bootstrap import build_services
from shared.handlers.inbound import Delivery
from shared.handlers.poison import POISON_QUEUE_MAX_DEQUEUE, handle_blob_poison
from shared.handlers.validator import handle_incoming_file
from shared.ports import OutgoingMessage
from shared.settings import ConfigurationError, Settings
from shared.topology import INCOMING_CONTAINER, WORKFLOW_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv

pytestmark = pytest.mark.unit
EMULATOR = (
    "Endpoint=sb://localhost:5672;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
)
STORAGE = {"PaymentsStorage": "UseDevelopmentStorage=true"}
NAME = "acme-payroll/no-bus.csv"


def test_a_missing_service_bus_setting_leaves_storage_working_and_fails_every_send_precisely() -> None:
    """The status function and the failure paths only need storage; every send names the setting."""
    services = build_services(Settings.from_env(STORAGE))
    with pytest.raises(ConfigurationError, match="setting ServiceBusConnection is not set"):
        services.publisher.ready()
    with pytest.raises(ConfigurationError, match="setting ServiceBusConnection is not set"):
        services.publisher.publish("file-validated", OutgoingMessage(b"{}", "m", "c", "file.validated"))


def test_without_service_bus_a_file_is_untouched_then_ends_failed_naming_the_setting() -> None:
    services, blobs, publisher, _ = make_services()
    publisher.unconfigured = ConfigurationError("setting ServiceBusConnection is not set: set it")
    etag = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    for _ in range(5):  # poisonBlobThreshold
        with pytest.raises(ConfigurationError):
            handle_incoming_file(services, NAME, etag)
    assert not list(blobs.list_names(WORKFLOW_CONTAINER, "registry/"))
    assert not list(blobs.list_names(WORKFLOW_CONTAINER, "archive/"))

    notice = json.dumps({"Type": "BlobTrigger", "FunctionId": "Host.Functions.FileValidator",
                         "BlobType": "BlockBlob", "ContainerName": "incoming", "BlobName": NAME,
                         "ETag": etag}).encode()
    for dequeue in range(1, POISON_QUEUE_MAX_DEQUEUE):
        with pytest.raises(ConfigurationError):
            handle_blob_poison(services, Delivery(body=notice, message_id="q", delivery_count=dequeue))
    last = Delivery(body=notice, message_id="q", delivery_count=POISON_QUEUE_MAX_DEQUEUE)
    outcome = handle_blob_poison(services, last)

    terminal = assert_terminal_state(blobs, outcome.file_id, "failed", blob_name=NAME)
    assert terminal["needs_attention"] is True
    assert "ServiceBusConnection is not set" in terminal["reason"]
    assert "ServiceBusConnection is not set" in terminal["compensation_failure"]
    assert blobs.exists(INCOMING_CONTAINER, NAME)  # untouched: replaying the archived notice finishes it


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
    services = build_services(Settings(environ={**STORAGE, "SB": value}, service_bus_setting="SB"))
    with pytest.raises(ConfigurationError, match="setting SB"):
        services.publisher.ready()


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


def test_without_service_bus_an_invalid_file_is_still_rejected() -> None:
    services, blobs, publisher, _ = make_services()
    publisher.unconfigured = ConfigurationError("setting ServiceBusConnection is not set: set it")
    blobs.put(INCOMING_CONTAINER, NAME, b"not,a,payment,file\n")
    outcome = handle_incoming_file(services, NAME)
    assert_terminal_state(blobs, outcome.file_id, "rejected")


def test_pipeline_today_pins_the_banks_date_loudly_and_leaves_timestamps_real(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="shared.bootstrap"):
        services = build_services(Settings.from_env({**STORAGE, "PIPELINE_TODAY": "2029-02-08"}))
    assert services.clock.today().isoformat() == "2029-02-08"
    assert abs(services.clock.now() - datetime.now(UTC)) < timedelta(minutes=1)  # timestamps stay real
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("PIPELINE_TODAY=2029-02-08" in message for message in warnings)


def test_without_pipeline_today_the_banks_date_is_the_clocks_and_nothing_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING", logger="shared.bootstrap"):
        services = build_services(Settings.from_env(STORAGE))
    clock = services.clock
    assert isinstance(clock, SystemClock) and clock.pinned_today is None
    assert (clock.time_zone, clock.cut_off) == ("Europe/Berlin", time(15, 0))  # the bank's date by default
    assert not [r for r in caplog.records if "PIPELINE_TODAY" in r.getMessage()]


@pytest.mark.parametrize("value", ["8.2.2029", "2029-02-30", "20290208", "tomorrow"])
def test_a_malformed_pipeline_today_names_the_setting_and_the_format(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"PIPELINE_TODAY=.* is invalid: set it to a date as YYYY-"):
        build_services(Settings.from_env({**STORAGE, "PIPELINE_TODAY": value}))


def test_the_app_checks_a_big_pain001_in_its_helper_process_and_starts_none_when_built() -> None:
    from shared.adapters.schema_check_process import HelperProcessChecks

    checks = build_services(Settings.from_env(STORAGE)).schema_checks
    assert isinstance(checks, HelperProcessChecks)
    # Nothing starts before a document: the first one, of any size, starts the helper (an integration
    # test, tests/integration/test_schema_check_process.py, follows it with a real process).
    assert checks.helper_pid is None
