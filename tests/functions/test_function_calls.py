"""Each function called with real azure.functions objects, bootstrap's services being the only seam
replaced (by fakes). A file is carried end to end by calling the functions in the order the host would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from azure.functions.meta import Datum, get_binding_registry
from azure.functions.servicebus import ServiceBusMessage
from azure.storage.blob import BlobClient
from azurefunctions.extensions.base import Datum as ExtensionDatum
from azurefunctions.extensions.bindings.blob import BlobClient as SdkBlobClient
from azurefunctions.extensions.bindings.blob.blobClientConverter import BlobClientConverter

from shared.bootstrap import set_services
from shared.handlers.identity import incoming_file_id
from shared.ports import OutgoingMessage
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_FAILED_TOPIC,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    PAYMENTS_STORAGE_SETTING,
)
from tests.app_functions import by_name
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, FakePublisher, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import invalid_csv, payment_csv

pytestmark = pytest.mark.functions
NAME = "acme-payroll/2026-11-20.csv"


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeBlobStore, FakePublisher]]:
    # The extension reads the connection setting when it builds the client; the fakes serve every read.
    monkeypatch.setenv(PAYMENTS_STORAGE_SETTING, "UseDevelopmentStorage=true")
    services, blobs, publisher, _ = make_services(faults="creator=acme-payroll/boom.csv")
    set_services(services)
    yield blobs, publisher


def call(name: str, **kwargs: Any) -> Any:
    return by_name()[name].get_user_function()(**kwargs)


def trigger_client(name: str) -> BlobClient:
    """The SDK-type parameter the worker builds: the extension's own converter, from the model binding data
    the host sends (the connection setting's name, the container, the blob), never the blob's bytes."""
    content = json.dumps({"Connection": PAYMENTS_STORAGE_SETTING, "ContainerName": INCOMING_CONTAINER,
                          "BlobName": name}).encode()
    data = SimpleNamespace(version="1.0", source="AzureStorageBlobs", content_type="application/json",
                           content=content)
    client = BlobClientConverter.decode(ExtensionDatum(data, "model_binding_data"), trigger_metadata={},
                                        pytype=SdkBlobClient)
    assert isinstance(client, BlobClient)
    return client


def sb_message(
    sent: OutgoingMessage, count: int = 1, dead_letter_reason: str | None = None
) -> ServiceBusMessage:
    return ServiceBusMessage(
        body=sent.body,
        message_id=sent.message_id,
        correlation_id=sent.correlation_id,
        delivery_count=count,
        application_properties=dict(sent.application_properties),
        user_properties={},
        content_type="application/json",
        dead_letter_reason=dead_letter_reason,
        enqueued_time_utc=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    )


def test_a_file_travels_through_validator_adaptor_creator_and_status(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))

    assert call("FileValidator", blob=trigger_client(NAME)) is None
    call("FileAdaptor", msg=sb_message(publisher.take(FILE_VALIDATED_QUEUE)))
    adapted = publisher.take(FILE_ADAPTED_QUEUE)
    call("FileCreator", msg=sb_message(adapted))

    file_id = adapted.correlation_id
    assert_terminal_state(blobs, file_id, "delivered")
    response = call(
        "FileStatus",
        req=func.HttpRequest("GET", f"/api/files/{file_id}", route_params={"file_id": file_id}, body=b""),
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    status = json.loads(response.get_body())
    assert status["state"] == "delivered"
    assert status["events"][0]["event"] == "received"


def test_status_answers_404_and_400_in_json(fakes: tuple[FakeBlobStore, FakePublisher]) -> None:
    unknown = call(
        "FileStatus",
        req=func.HttpRequest(
            "GET", "/api/files/a.b.0000000f", route_params={"file_id": "a.b.0000000f"}, body=b""
        ),
    )
    assert unknown.status_code == 404 and "no file with id" in json.loads(unknown.get_body())["error"]
    bad = call(
        "FileStatus", req=func.HttpRequest("GET", "/api/files/..", route_params={"file_id": ".."}, body=b"")
    )
    assert bad.status_code == 400 and "is not a file id" in json.loads(bad.get_body())["error"]


def test_rejected_file_returns_normally_so_the_host_does_not_retry(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))
    call("FileValidator", blob=trigger_client(NAME))
    assert publisher.pipeline_sent() == []
    assert not blobs.exists(INCOMING_CONTAINER, NAME)


def test_creator_failure_through_dead_letter_and_both_compensations(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, "acme-payroll/boom.csv", payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    call("FileValidator", blob=trigger_client("acme-payroll/boom.csv"))
    call("FileAdaptor", msg=sb_message(publisher.take(FILE_VALIDATED_QUEUE)))
    adapted = publisher.take(FILE_ADAPTED_QUEUE)
    for attempt in (1, 2, 3):
        with pytest.raises(RuntimeError, match="injected fault"):
            call("FileCreator", msg=sb_message(adapted, attempt))

    call("FileAdaptedDeadLetter", msg=sb_message(adapted, 5, "MaxDeliveryCountExceeded"))
    call("AdaptorCompensation", msg=sb_message(publisher.take(FILE_FAILED_TOPIC)))
    handover = publisher.take(FILE_FAILED_TOPIC)
    assert handover.application_properties["compensate"] == "validator"
    call("ValidatorCompensation", msg=sb_message(handover))

    assert_terminal_state(blobs, adapted.correlation_id, "failed")
    assert publisher.pipeline_sent() == []


def test_blob_poison_and_compensation_dead_letter_functions(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    etag = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    notice = {
        "Type": "BlobTrigger",
        "FunctionId": "Host.Functions.FileValidator",
        "BlobType": "BlockBlob",
        "ContainerName": "incoming",
        "BlobName": NAME,
        "ETag": etag,
    }
    call("BlobPoison", msg=func.QueueMessage(id="q-1", body=json.dumps(notice)))
    failed = publisher.take(FILE_FAILED_TOPIC)
    call("ValidatorCompensationDeadLetter", msg=sb_message(failed, 5, "MaxDeliveryCountExceeded"))
    terminal = assert_terminal_state(blobs, failed.correlation_id, "failed", blob_name=NAME)
    assert terminal["needs_attention"] is True
    call("AdaptorCompensationDeadLetter", msg=sb_message(failed, 5, "MaxDeliveryCountExceeded"))
    assert publisher.pipeline_sent() == []


def test_validated_dead_letter_function_with_a_worker_decoded_message(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    call("FileValidator", blob=trigger_client(NAME))
    sent = publisher.take(FILE_VALIDATED_QUEUE)
    metadata = {
        "UserProperties": Datum("{}", "json"),
        "ApplicationProperties": Datum(json.dumps(dict(sent.application_properties)), "json"),
        "MessageId": Datum(sent.message_id, "string"),
        "CorrelationId": Datum(sent.correlation_id, "string"),
        "DeliveryCount": Datum(5, "int"),
        "DeadLetterReason": Datum("MaxDeliveryCountExceeded", "string"),
    }
    msg = (
        get_binding_registry()
        .get("serviceBusTrigger")
        .decode(Datum(sent.body, "bytes"), trigger_metadata=metadata)
    )
    call("FileValidatedDeadLetter", msg=msg)
    call("ValidatorCompensation", msg=sb_message(publisher.take(FILE_FAILED_TOPIC)))
    assert_terminal_state(blobs, sent.correlation_id, "failed")


def test_a_poison_body_raises_so_the_broker_retries_then_dead_letters(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    poison = OutgoingMessage(
        body=b"{oops", message_id="m-1", correlation_id="acme-payroll.x.0000000a", subject="x"
    )
    with pytest.raises(ValueError, match="not valid JSON"):
        call("FileAdaptor", msg=sb_message(poison))


class _UnreadableStore(FakeBlobStore):
    def list_names(self, container: str, prefix: str = "") -> Iterator[str]:
        raise ConnectionError("storage account unreachable (secret detail)")


def test_status_answers_503_json_when_storage_cannot_be_read(caplog: pytest.LogCaptureFixture) -> None:
    services, _, _, _ = make_services()
    services.blobs = _UnreadableStore()
    set_services(services)
    file_id = "acme-payroll.x.0000000a"
    response = call(
        "FileStatus",
        req=func.HttpRequest("GET", f"/api/files/{file_id}", route_params={"file_id": file_id}, body=b""),
    )
    assert response.status_code == 503 and response.mimetype == "application/json"
    body = json.loads(response.get_body())
    assert body["file_id"] == file_id and "retry" in body["error"]
    assert "secret detail" not in response.get_body().decode()
    assert any("secret detail" in r.getMessage() or r.exc_info for r in caplog.records)


def test_a_trigger_for_a_replaced_version_validates_the_current_version_once(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    # The SDK-type binding carries where the blob is, not the version the trigger saw: the version read
    # names the file (its ETag is in the file id), so the old version's late trigger validates the new
    # one under the new one's id, and the new version's own trigger then finds nothing left to do.
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    stale = trigger_client(NAME)  # what the host bound before the sender uploaded again
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    current = incoming_file_id(NAME, blobs.blobs[(INCOMING_CONTAINER, NAME)][1])

    call("FileValidator", blob=stale)
    validated = publisher.to(FILE_VALIDATED_QUEUE)
    assert [m.correlation_id for m in validated] == [current] and not blobs.exists(INCOMING_CONTAINER, NAME)
    assert json.loads(validated[0].body)["data"]["row_count"] == 2
    call("FileValidator", blob=trigger_client(NAME))  # the new version's own trigger
    assert len(publisher.to(FILE_VALIDATED_QUEUE)) == 1
