"""Failure handlers that cannot start the compensation (Service Bus refuses `file.failed`) must not loop
for ever, nor drop the file: after a bounded number of tries the file ends `failed` needing attention,
with the message archived and an ERROR alert."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from shared.handlers.compensation import handle_validator_compensation
from shared.handlers.deadletter import DEAD_LETTER_GIVE_UP_AFTER, handle_dead_lettered
from shared.handlers.inbound import Delivery
from shared.handlers.poison import POISON_QUEUE_MAX_DEQUEUE, handle_blob_poison
from shared.handlers.validator import handle_incoming_file
from shared.topology import FILE_FAILED_TOPIC, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER, WORKFLOW_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver

pytestmark = pytest.mark.unit
NAME = "acme-payroll/stuck.csv"
ROOT = Path(__file__).resolve().parents[3]


def test_a_dead_letter_handler_that_cannot_publish_gives_up_after_a_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    dead = replace(deliver(publisher, FILE_VALIDATED_QUEUE), dead_letter_reason="MaxDeliveryCountExceeded")
    publisher.fail_next = 1000  # the topic is gone, or the identity lost its Send right

    for attempt in range(1, DEAD_LETTER_GIVE_UP_AFTER):
        with pytest.raises(ConnectionError):
            handle_dead_lettered(services, replace(dead, delivery_count=attempt), FILE_VALIDATED_QUEUE)
    last = replace(dead, delivery_count=DEAD_LETTER_GIVE_UP_AFTER)
    outcome = handle_dead_lettered(services, last, FILE_VALIDATED_QUEUE)

    assert outcome.state == "needs_attention"
    terminal = assert_terminal_state(blobs, file_id, "failed")
    assert terminal["needs_attention"] is True
    assert "could not publish file.failed" in terminal["compensation_failure"]
    assert any(r.levelname == "ERROR" and "ALERT" in r.getMessage() for r in caplog.records)


def test_the_blob_poison_handler_gives_up_on_its_last_dequeue_instead_of_losing_the_file() -> None:
    services, blobs, publisher, _ = make_services()
    etag = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    notice = json.dumps({"Type": "BlobTrigger", "FunctionId": "Host.Functions.FileValidator",
                         "BlobType": "BlockBlob", "ContainerName": "incoming", "BlobName": NAME,
                         "ETag": etag}).encode()
    publisher.fail_next = 1000

    for dequeue in range(1, POISON_QUEUE_MAX_DEQUEUE):
        with pytest.raises(ConnectionError):
            handle_blob_poison(services, Delivery(body=notice, message_id="q", delivery_count=dequeue))
    outcome = handle_blob_poison(
        services, Delivery(body=notice, message_id="q", delivery_count=POISON_QUEUE_MAX_DEQUEUE)
    )

    assert outcome.state == "needs_attention"
    terminal = assert_terminal_state(blobs, outcome.file_id, "failed", blob_name=NAME)
    assert terminal["needs_attention"] is True


def test_the_poison_bound_is_the_hosts_max_dequeue_count() -> None:
    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    assert host["extensions"]["queues"]["maxDequeueCount"] == POISON_QUEUE_MAX_DEQUEUE


def test_after_giving_up_replaying_the_archived_file_failed_finishes_the_compensation() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    dead = replace(deliver(publisher, FILE_VALIDATED_QUEUE), dead_letter_reason="MaxDeliveryCountExceeded")
    publisher.fail_next = 1
    last = replace(dead, delivery_count=DEAD_LETTER_GIVE_UP_AFTER)
    handle_dead_lettered(services, last, FILE_VALIDATED_QUEUE)

    # What `python -m ops replay FILE_ID --entity file-failed` sends, once the broker is fixed.
    names = list(blobs.list_names(WORKFLOW_CONTAINER, f"deadletter/{file_id}/{FILE_FAILED_TOPIC}/"))
    assert len(names) == 1, "the file.failed that could not be sent is archived for replay"
    record = json.loads(blobs.read(WORKFLOW_CONTAINER, names[0]))
    assert record["entity"] == FILE_FAILED_TOPIC
    assert record["application_properties"]["compensate"] == "validator"
    replayed = Delivery(body=record["body"].encode(), message_id=f"{record['message_id']}:replay-1",
                        correlation_id=record["correlation_id"],
                        application_properties=record["application_properties"])
    assert handle_validator_compensation(services, replayed).state == "failed"

    terminal = assert_terminal_state(blobs, file_id, "failed")  # the full evidence, not just the archive
    assert terminal["needs_attention"] is False
