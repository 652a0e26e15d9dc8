"""Each function called with real azure.functions objects, bootstrap's services being the only seam
replaced (by fakes). A file is carried end to end by calling the functions in the order the host would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest
from azure.functions.blob import InputStream
from azure.functions.meta import Datum, get_binding_registry
from azure.functions.servicebus import ServiceBusMessage

from shared.bootstrap import set_services
from shared.ports import OutgoingMessage
from shared.topology import FILE_ADAPTED_QUEUE, FILE_FAILED_TOPIC, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER
from tests.app_functions import by_name
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, FakePublisher, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import invalid_csv, payment_csv

pytestmark = pytest.mark.functions
NAME = "acme-payroll/2026-11-20.csv"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeBlobStore, FakePublisher]]:
    services, blobs, publisher, _ = make_services(faults="creator=acme-payroll/boom.csv")
    set_services(services)
    yield blobs, publisher


def call(name: str, **kwargs: Any) -> Any:
    return by_name()[name].get_user_function()(**kwargs)


def blob_stream(blobs: FakeBlobStore, name: str) -> InputStream:
    data, etag = blobs.blobs[(INCOMING_CONTAINER, name)]
    return InputStream(
        data=data,
        name=f"{INCOMING_CONTAINER}/{name}",
        uri=f"http://127.0.0.1/{name}",
        length=len(data),
        blob_properties={"ETag": etag, "ContentLength": len(data)},
        metadata={},
    )


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

    assert call("FileValidator", blob=blob_stream(blobs, NAME)) is None
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
    call("FileValidator", blob=blob_stream(blobs, NAME))
    assert publisher.pipeline_sent() == []
    assert not blobs.exists(INCOMING_CONTAINER, NAME)


def test_creator_failure_through_dead_letter_and_both_compensations(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, "acme-payroll/boom.csv", payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    call("FileValidator", blob=blob_stream(blobs, "acme-payroll/boom.csv"))
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
    call("FileValidator", blob=blob_stream(blobs, NAME))
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


def test_validator_leaves_a_replaced_version_to_the_new_versions_trigger(
    fakes: tuple[FakeBlobStore, FakePublisher],
) -> None:
    blobs, publisher = fakes
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    stale = blob_stream(blobs, NAME)  # what the host bound before the sender uploaded again
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))

    call("FileValidator", blob=stale)
    assert publisher.pipeline_sent() == [] and blobs.exists(INCOMING_CONTAINER, NAME)
    call("FileValidator", blob=blob_stream(blobs, NAME))
    assert len(publisher.to(FILE_VALIDATED_QUEUE)) == 1 and not blobs.exists(INCOMING_CONTAINER, NAME)
