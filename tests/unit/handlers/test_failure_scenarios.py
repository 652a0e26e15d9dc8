"""Failure scenarios that do not start from a business step: the validator's poison path, poison
contracts, a compensation that itself dead-letters, and configuration faults."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from shared.contracts import PoisonMessage
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_validator_compensation
from shared.handlers.compensation_deadletter import handle_compensation_dead_lettered
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.faults import InjectedFault
from shared.handlers.inbound import Delivery
from shared.handlers.poison import handle_blob_poison, parse_poison_notice
from shared.handlers.reference_loader import ReferenceTableUnavailable
from shared.handlers.timeline import read_events
from shared.handlers.validator import handle_incoming_file
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    REFERENCE_CONTAINER,
    REFERENCE_TABLE_BLOB,
    VALIDATOR_COMPENSATION_SUBSCRIPTION,
    WORKFLOW_CONTAINER,
)
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import (
    MAX_DELIVERY,
    body_of,
    deliver,
    deliver_failed,
    fail_until_dead_lettered,
)

pytestmark = pytest.mark.unit
NAME = "acme-payroll/boom.csv"


def poison_notice(name: str, etag: str) -> bytes:
    return json.dumps(
        {
            "Type": "BlobTrigger",
            "FunctionId": "Host.Functions.FileValidator",
            "BlobType": "BlockBlob",
            "ContainerName": "incoming",
            "BlobName": name,
            "ETag": etag,
        }
    ).encode()


def test_validator_crashing_reaches_failed_through_the_poison_queue() -> None:
    services, blobs, publisher, _ = make_services(faults="validator=acme-payroll/boom*")
    etag = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    for _ in range(5):  # poisonBlobThreshold
        with pytest.raises(InjectedFault):
            handle_incoming_file(services, NAME, etag)

    outcome = handle_blob_poison(
        services, Delivery(body=poison_notice(NAME, etag.strip('"')), message_id="q1")
    )
    failed = deliver_failed(publisher, "validator")
    assert body_of(failed)["data"]["etag"] == etag.strip('"')
    handle_validator_compensation(services, failed)

    assert publisher.pipeline_sent() == []
    assert_terminal_state(blobs, outcome.file_id, "failed")
    archive_name = next(blobs.list_names(WORKFLOW_CONTAINER, f"deadletter/{outcome.file_id}/"))
    assert (
        json.loads(blobs.read(WORKFLOW_CONTAINER, archive_name))["last_error"]["error_type"]
        == "InjectedFault"
    )


def test_poison_compensation_leaves_a_newer_upload_of_the_same_name_alone() -> None:
    services, blobs, publisher, _ = make_services(faults="validator=*")
    old_etag = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    with pytest.raises(InjectedFault):
        handle_incoming_file(services, NAME, old_etag)
    blobs.put(INCOMING_CONTAINER, NAME,
        payment_csv(3, execution_date=FAKE_EXECUTION_DATE))  # the sender re-uploads meanwhile
    handle_blob_poison(services, Delivery(body=poison_notice(NAME, old_etag), message_id="q1"))
    result = handle_validator_compensation(services, deliver_failed(publisher, "validator"))
    assert result.state == "failed"
    assert blobs.read(INCOMING_CONTAINER, NAME) == payment_csv(3, execution_date=FAKE_EXECUTION_DATE)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not valid JSON"),
        (b"[1]", "must be a JSON object"),
        (b'{"ContainerName": "incoming"}', "lacks BlobName, ETag"),
        (b'{"ContainerName": "outgoing", "BlobName": "a/b", "ETag": "x"}', "container 'outgoing'"),
    ],
)
def test_malformed_poison_notices_are_refused_precisely(body: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        parse_poison_notice(body)


def test_poison_contract_is_recorded_then_dead_lettered_to_failed() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    good = deliver(publisher, FILE_VALIDATED_QUEUE)
    bad = replace(good, body=good.body.replace(b'"schema_version":1', b'"schema_version":7'))

    dead = fail_until_dead_lettered(
        lambda d: handle_file_validated(services, d), bad, PoisonMessage, MAX_DELIVERY[FILE_VALIDATED_QUEUE]
    )
    failures = [e for e in read_events(blobs, file_id) if e["event"] == "step_failed"]
    assert (
        failures[-1]["error_message"] == "unsupported schema_version 7 for type file.validated (supported: 1)"
    )
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    handle_validator_compensation(services, deliver_failed(publisher, "validator"))
    terminal = assert_terminal_state(blobs, file_id, "failed")
    assert "unsupported schema_version 7" in terminal["reason"]


def test_wrong_message_type_on_a_queue_is_poison() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    handle_incoming_file(services, NAME)
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    with pytest.raises(PoisonMessage, match=r"expected a file\.adapted message, got file\.validated"):
        handle_file_adapted(services, validated)


def test_dead_letter_without_any_file_id_is_archived_not_dropped() -> None:
    services, blobs, publisher, _ = make_services()
    outcome = handle_dead_lettered(services, Delivery(body=b"\xff\xfe", message_id="m-1"), FILE_ADAPTED_QUEUE)
    assert outcome.state == "unidentified"
    archived = json.loads(
        blobs.read(WORKFLOW_CONTAINER, f"deadletter/_unidentified/{FILE_ADAPTED_QUEUE}/m-1.json")
    )
    assert archived["body_encoding"] == "base64"
    assert publisher.pipeline_sent() == []


def test_dead_lettered_compensation_ends_failed_needing_attention_and_never_publishes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    services, blobs, publisher, _ = make_services(faults="adaptor=*")
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    dead = fail_until_dead_lettered(
        lambda d: handle_file_validated(services, d),
        deliver(publisher, FILE_VALIDATED_QUEUE),
        InjectedFault,
        1,
    )
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    failed = deliver_failed(publisher, "validator")
    dead_comp = replace(failed, dead_letter_reason="MaxDeliveryCountExceeded", delivery_count=5)

    outcome = handle_compensation_dead_lettered(services, dead_comp, VALIDATOR_COMPENSATION_SUBSCRIPTION)

    assert outcome.state == "needs_attention" and publisher.pipeline_sent() == []
    assert any(r.levelname == "ERROR" and "ALERT" in r.getMessage() for r in caplog.records)
    terminal = assert_terminal_state(blobs, file_id, "failed")
    assert terminal["needs_attention"] is True
    assert list(blobs.list_names(WORKFLOW_CONTAINER, f"deadletter/{file_id}/file-failed/"))


def test_missing_reference_table_raises_an_actionable_error_and_records_it() -> None:
    services, blobs, _, _ = make_services()
    blobs.delete(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB)
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    with pytest.raises(ReferenceTableUnavailable, match="upload one"):
        handle_incoming_file(services, NAME)
    events = [e["event"] for e in read_events(blobs, next(iter(_file_ids(blobs))))]
    assert events[-1] == "step_failed"
    assert blobs.exists(INCOMING_CONTAINER, NAME)


def test_large_file_goes_through_the_claim_check_and_leaves_no_staging() -> None:
    services, blobs, publisher, _ = make_services(threshold=16 * 1024)
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(400, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    assert body_of(validated)["data"]["payload"]["kind"] == "blob"
    assert len(validated.body) < 16 * 1024
    handle_file_validated(services, validated)
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert_terminal_state(blobs, file_id, "delivered")


def _file_ids(blobs: FakeBlobStore) -> set[str]:
    return {n.split("/")[1] for c, n in blobs.blobs if c == WORKFLOW_CONTAINER and n.startswith("timeline/")}


def test_a_poison_dead_letter_whose_correlation_id_is_not_a_file_id_is_unidentified() -> None:
    services, blobs, publisher, _ = make_services()
    delivery = Delivery(body=b"{oops", message_id="m-2", correlation_id="../../reference")
    outcome = handle_dead_lettered(services, delivery, FILE_VALIDATED_QUEUE)
    assert outcome.state == "unidentified" and publisher.pipeline_sent() == []
    assert blobs.exists(WORKFLOW_CONTAINER, f"deadletter/_unidentified/{FILE_VALIDATED_QUEUE}/m-2.json")
    assert not [n for c, n in blobs.blobs if ".." in n]


def test_dead_letters_without_message_ids_do_not_overwrite_each_other() -> None:
    services, blobs, _, _ = make_services()
    for body in (b"first", b"second"):
        handle_dead_lettered(services, Delivery(body=body), FILE_ADAPTED_QUEUE)
    archived = list(blobs.list_names(WORKFLOW_CONTAINER, f"deadletter/_unidentified/{FILE_ADAPTED_QUEUE}/"))
    assert len(archived) == 2
