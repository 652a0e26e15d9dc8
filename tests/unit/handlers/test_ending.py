"""The ending seam over fakes: every terminal state is announced once per file, a publish that fails
after the state was recorded never changes it and is repaired by the redelivery, and a long list of
errors travels by claim-check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from shared.contracts import BlobReference, FileEnded, InlineRecords, decode_as, encode_message
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.claimcheck import iter_records
from shared.handlers.compensation_deadletter import handle_compensation_dead_lettered
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import DEAD_LETTER_GIVE_UP_AFTER, handle_dead_lettered
from shared.handlers.ending import ended_message
from shared.handlers.timeline import read_terminal
from shared.handlers.validator import handle_incoming_file
from shared.ports import BlobContent, OutgoingMessage, StreamedBlob
from shared.topology import FILE_ADAPTED_QUEUE, FILE_ENDED_TOPIC, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, make_services
from tests.samplefiles import HEADER, invalid_csv, payment_csv
from tests.unit.handlers.driver import deliver, deliver_failed

pytestmark = pytest.mark.unit
NAME = "acme-payroll/2026-11-20.csv"


def ended(body: bytes) -> FileEnded:
    return decode_as(body, FileEnded)


def test_a_rejected_file_is_announced_with_each_error_naming_its_payment() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))
    outcome = handle_incoming_file(services, NAME)

    (message,) = publisher.to(FILE_ENDED_TOPIC)
    event = ended(message.body)
    assert message.message_id == f"{outcome.file_id}:ended"
    assert message.application_properties["state"] == "rejected"
    assert isinstance(event.data.issues, InlineRecords)
    assert [(r["row"], r["payment_id"], r["code"]) for r in event.data.issues.records] == [
        (2, "P-1", "invalid_iban"), (3, "P-2", "amount_not_positive"), (3, "P-2", "invalid_date")]
    assert event.data.error_count == 3 and event.data.evidence == f"rejected/{outcome.file_id}/report.json"


def test_a_delivered_file_is_announced_once_with_the_msg_id_of_its_pain001() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))
    handle_incoming_file(services, NAME)
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    adapted = deliver(publisher, FILE_ADAPTED_QUEUE)
    handle_file_adapted(services, adapted)
    handle_file_adapted(services, replace(adapted, delivery_count=2))  # a late redelivery re-announces

    first, again = publisher.to(FILE_ENDED_TOPIC)
    assert first.message_id == again.message_id and first.body == again.body  # the topic drops the copy
    data = ended(first.body).data
    xml = blobs.read("outgoing", f"acme-payroll/{data.file_id}.xml").decode()
    assert (data.state, data.nb_of_txs, str(data.ctrl_sum)) == ("delivered", 3, "376.50")
    assert f"<MsgId>{data.msg_id}</MsgId>" in xml


def test_a_failed_publish_keeps_the_state_and_the_redelivery_announces_it() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    handle_incoming_file(services, NAME)
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    adapted = deliver(publisher, FILE_ADAPTED_QUEUE)
    publisher.fail_next = 1  # the broker is away just after the state was recorded
    with pytest.raises(ConnectionError):
        handle_file_adapted(services, adapted)
    assert (read_terminal(blobs, adapted.correlation_id or "") or {}).get("state") == "delivered"
    assert publisher.to(FILE_ENDED_TOPIC) == []

    outcome = handle_file_adapted(services, replace(adapted, delivery_count=2))
    assert outcome.state == "skipped"
    (message,) = publisher.to(FILE_ENDED_TOPIC)
    assert ended(message.body).data.state == "delivered"


def test_a_rejection_the_broker_refused_is_announced_by_the_blob_triggers_retry() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))
    publisher.fail_next = 1
    with pytest.raises(ConnectionError):
        handle_incoming_file(services, NAME)
    assert blobs.exists(INCOMING_CONTAINER, NAME)  # left for the retry

    assert handle_incoming_file(services, NAME).state == "already_processed"
    assert [ended(m.body).data.state for m in publisher.to(FILE_ENDED_TOPIC)] == ["rejected"]
    assert not blobs.exists(INCOMING_CONTAINER, NAME)


def test_many_errors_travel_by_claim_check_beside_the_timeline() -> None:
    services, blobs, publisher, _ = make_services(threshold=16 * 1024)
    rows = [f"P-{n},DE89370400440532013000,ACME,FR0000000000000000000000000,Bad,,1.00,EUR,"
            f"{FAKE_EXECUTION_DATE.isoformat()},x" for n in range(400)]
    blobs.put(INCOMING_CONTAINER, NAME, ("\n".join([HEADER, *rows]) + "\n").encode())
    handle_incoming_file(services, NAME)

    data = ended(publisher.to(FILE_ENDED_TOPIC)[0].body).data
    assert isinstance(data.issues, BlobReference)
    assert data.issues.name == f"timeline/{data.file_id}/ended-issues.ndjson.gz"
    records = list(iter_records(blobs, data.issues))
    assert len(records) == data.error_count == 400 and records[-1]["payment_id"] == "P-399"
    assert json.loads(json.dumps(records[0]))["severity"] == "error"


def test_a_handler_that_must_not_loop_alerts_instead_of_raising_and_a_later_finder_announces(
        caplog: pytest.LogCaptureFixture) -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    dead = replace(validated, dead_letter_reason="MaxDeliveryCountExceeded",
                   delivery_count=DEAD_LETTER_GIVE_UP_AFTER)
    publisher.fail_next = 2  # file.failed and then file.ended are refused: the broker is away
    assert handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE).state == "needs_attention"
    assert (read_terminal(blobs, file_id) or {})["state"] == "failed"
    assert publisher.to(FILE_ENDED_TOPIC) == []
    assert any("ALERT" in r.getMessage() and "file.ended could not be published" in r.getMessage()
               for r in caplog.records)

    # Any later delivery that finds the ended file (here the adaptor's, redelivered) announces it.
    assert handle_file_validated(services, replace(validated, delivery_count=2)).state == "skipped"
    (message,) = publisher.to(FILE_ENDED_TOPIC)
    assert ended(message.body).data.needs_attention is True


def test_a_compensation_that_dead_letters_announces_the_failure() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    handle_dead_lettered(services, replace(validated, dead_letter_reason="MaxDeliveryCountExceeded"),
                         FILE_VALIDATED_QUEUE)
    failed = deliver_failed(publisher, "validator")
    outcome = handle_compensation_dead_lettered(
        services, replace(failed, dead_letter_reason="MaxDeliveryCountExceeded"), "validator-compensation")

    assert outcome.state == "needs_attention"
    (message,) = publisher.to(FILE_ENDED_TOPIC)
    data = ended(message.body).data
    assert (data.file_id, data.state, data.failed_step, data.evidence) == (
        file_id, "failed", "validator-compensation", None)  # no reason.json: the compensation never ran


class _CountingReads(FakeBlobStore):
    """Counts every read and listing, to show which announcements read nothing back."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    def read(self, container: str, name: str) -> bytes:
        self.reads.append(f"GET {container}/{name}")
        return super().read(container, name)

    def read_with_etag(self, container: str, name: str) -> BlobContent:
        self.reads.append(f"GET {container}/{name}")
        return super().read_with_etag(container, name)

    def open_reader(self, container: str, name: str) -> StreamedBlob:
        self.reads.append(f"GET {container}/{name}")
        return super().open_reader(container, name)

    def list_names(self, container: str, prefix: str = "") -> Iterator[str]:
        self.reads.append(f"LIST {container}/{prefix}")
        return super().list_names(container, prefix)


def test_the_creator_announces_from_what_it_has_the_same_message_the_timeline_gives() -> None:
    services, _, publisher, _ = make_services()
    blobs = _CountingReads()
    services = replace(services, blobs=blobs)
    data = payment_csv(2, execution_date=FAKE_EXECUTION_DATE).replace(b"Jan de Vries", "Jörg Müller".encode())
    blobs.put(INCOMING_CONTAINER, NAME, data)
    file_id = handle_incoming_file(services, NAME).file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    adapted = deliver(publisher, FILE_ADAPTED_QUEUE)
    published = publisher.publish
    reads_at_publish: list[list[str]] = []

    def watch(entity: str, message: OutgoingMessage) -> None:
        reads_at_publish.append(list(blobs.reads))
        published(entity, message)

    publisher.publish = watch  # type: ignore[method-assign]
    blobs.reads.clear()
    assert handle_file_adapted(services, adapted).state == "delivered"
    (message,) = publisher.to(FILE_ENDED_TOPIC)
    # Only the creator's own check before it acts (nothing claimed or ended), nothing read back to announce.
    assert reads_at_publish[-1] == [f"GET workflow/timeline/{file_id}/terminal.json"]
    assert not [r for r in blobs.reads if r.startswith("LIST workflow/staging/")]  # all inline: none staged
    read_back = ended_message(services, file_id)
    assert read_back is not None and message.body == encode_message(read_back)
    (warning,) = ended(message.body).data.issues.records  # type: ignore[union-attr]
    assert (warning["code"], warning["before"], warning["after"]) == ("transliterated", "Jörg Müller",
                                                                      "Jorg Muller")


def test_a_file_adapted_sent_before_warnings_travelled_is_announced_from_the_timeline() -> None:
    services, _, publisher, _ = make_services()
    blobs = _CountingReads()
    services = replace(services, blobs=blobs)
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    adapted = deliver(publisher, FILE_ADAPTED_QUEUE)
    body = json.loads(adapted.body)
    del body["data"]["warnings"], body["data"]["staged"]  # an older adaptor's message
    older = replace(adapted, body=json.dumps(body).encode())
    assert handle_file_adapted(services, older).state == "delivered"
    assert f"LIST workflow/staging/{file_id}/" in blobs.reads  # staged or not, it cannot know: it lists
    (message,) = publisher.to(FILE_ENDED_TOPIC)
    read_back = ended_message(services, file_id)
    assert read_back is not None and message.body == encode_message(read_back)


@pytest.mark.parametrize("copy", [False, True], ids=["rejected", "duplicate"])
def test_the_validator_announces_a_refusal_from_what_it_has_the_same_message_the_timeline_gives(
        copy: bool) -> None:
    services, _, publisher, _ = make_services()
    blobs = _CountingReads()
    services = replace(services, blobs=blobs)
    data = payment_csv(2, execution_date=FAKE_EXECUTION_DATE) if copy else invalid_csv(FAKE_EXECUTION_DATE)
    if copy:  # delivered once; the same payments again are a duplicate
        blobs.put(INCOMING_CONTAINER, "acme-payroll/first.csv", data)
        handle_incoming_file(services, "acme-payroll/first.csv")
        handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
        handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    blobs.put(INCOMING_CONTAINER, NAME, data)
    blobs.reads.clear()
    outcome = handle_incoming_file(services, NAME)
    assert outcome.state == ("duplicate" if copy else "rejected")
    # A first attempt reads nothing of the file's state (its ending claim is create-if-absent), and
    # nothing of the ending is read back to announce it.
    assert [r for r in blobs.reads if outcome.file_id in r] == []
    message = publisher.to(FILE_ENDED_TOPIC)[-1]
    read_back = ended_message(services, outcome.file_id)
    assert read_back is not None and message.body == encode_message(read_back)
