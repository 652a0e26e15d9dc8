"""Scenario tests: the real handlers chained through the fake publisher, each ending in the
terminal-state invariant (one terminal state, its evidence, nothing left behind)."""

from __future__ import annotations

import contextlib
import json

import pytest
from lxml import etree

from shared.domain.pain001 import validate_pain001
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_adaptor_compensation, handle_validator_compensation
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.faults import InjectedFault
from shared.handlers.status import file_status
from shared.handlers.timeline import read_events
from shared.handlers.validator import handle_incoming_file
from shared.ports import SchemaCheckUnavailable
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_FAILED_TOPIC,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    OUTGOING_CONTAINER,
    WORKFLOW_CONTAINER,
)
from tests.fakes import FAKE_EXECUTION_DATE, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import invalid_csv, payment_csv
from tests.unit.handlers.driver import (
    MAX_DELIVERY,
    body_of,
    deliver,
    deliver_failed,
    fail_until_dead_lettered,
)

pytestmark = pytest.mark.unit
NAME = "acme-payroll/2026-11-20.csv"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def test_happy_path_delivers_a_valid_pain001_with_the_input_control_sum() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(4, amount="100.25", execution_date=FAKE_EXECUTION_DATE))

    outcome = handle_incoming_file(services, NAME)
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    handle_file_validated(services, validated)
    adapted = deliver(publisher, FILE_ADAPTED_QUEUE)
    result = handle_file_adapted(services, adapted)

    assert (outcome.state, result.state) == ("validated", "delivered")
    assert validated.message_id == f"{outcome.file_id}:validated"
    assert validated.correlation_id == adapted.correlation_id == outcome.file_id
    assert validated.application_properties["type"] == "file.validated"
    assert validated.application_properties["schema_version"] == 1
    # The trace context is the Service Bus SDK's to add (shared/telemetry.py), never a property of ours.
    assert "traceparent" not in validated.application_properties
    xml = blobs.read(OUTGOING_CONTAINER, f"acme-payroll/{outcome.file_id}.xml")
    validate_pain001(xml)
    assert etree.fromstring(xml).findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "401.00"
    assert publisher.pipeline_sent() == []
    assert_terminal_state(blobs, outcome.file_id, "delivered")
    events = [e["event"] for e in read_events(blobs, outcome.file_id)]
    assert events == ["received", "validated", "adapted", "delivered"]


def test_a_delivered_file_says_what_validation_changed() -> None:
    services, blobs, publisher, _ = make_services()
    data = payment_csv(2, execution_date=FAKE_EXECUTION_DATE).replace(
        b"Jan de Vries", b"J\xc3\xb6rg M\xc3\xbcller"
    )
    blobs.put(INCOMING_CONTAINER, NAME, data)
    file_id = handle_incoming_file(services, NAME).file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    assert handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE)).state == "delivered"
    status = file_status(blobs, file_id)
    assert status is not None and status["state"] == "delivered"
    [warning] = status["summary"]["warnings"]
    assert (warning["row"], warning["column"], warning["before"], warning["after"]) == (
        2, "creditor_name", "Jörg Müller", "Jorg Muller")  # fmt: skip
    validated = next(e for e in status["events"] if e["event"] == "validated")
    assert validated["warning_count"] == 1


def test_redelivery_is_idempotent_and_output_is_byte_identical() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    handle_file_validated(services, validated)
    handle_file_validated(services, validated)  # redelivered after a lost completion
    first, second = deliver(publisher, FILE_ADAPTED_QUEUE), deliver(publisher, FILE_ADAPTED_QUEUE)
    assert first.message_id == second.message_id  # the broker's duplicate detection drops the re-send
    assert body_of(first)["data"] == body_of(second)["data"]
    handle_file_adapted(services, first)
    xml = blobs.read(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")
    assert handle_file_adapted(services, second).state == "skipped"
    assert blobs.read(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml") == xml
    assert handle_incoming_file(services, NAME).state == "gone"
    assert_terminal_state(blobs, file_id, "delivered")


def test_invalid_file_is_rejected_with_every_error_and_sends_nothing() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))

    outcome = handle_incoming_file(services, NAME)

    assert outcome.state == "rejected"
    assert publisher.pipeline_sent() == []
    report = json.loads(blobs.read("rejected", f"{outcome.file_id}/report.json"))
    found = {(e["row"], e["column"], e["code"]) for e in report["errors"]}
    assert (2, "creditor_iban", "invalid_iban") in found
    assert (3, "amount", "amount_not_positive") in found
    assert (3, "execution_date", "invalid_date") in found
    assert report["error_count"] == len(report["errors"]) >= 3
    assert_terminal_state(blobs, outcome.file_id, "rejected")


def test_file_outside_a_sender_folder_is_rejected_with_an_actionable_message() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, "loose.csv", payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    outcome = handle_incoming_file(services, "loose.csv")
    report = json.loads(blobs.read("rejected", f"{outcome.file_id}/report.json"))
    assert outcome.state == "rejected" and publisher.pipeline_sent() == []
    assert "incoming/<sender>/<file name>" in report["errors"][0]["message"]
    assert_terminal_state(blobs, outcome.file_id, "rejected", blob_name="loose.csv")


def test_same_content_twice_is_a_duplicate_naming_the_first_file() -> None:
    services, blobs, publisher, _ = make_services()
    content = payment_csv(3, execution_date=FAKE_EXECUTION_DATE)
    blobs.put(INCOMING_CONTAINER, NAME, content)
    blobs.put(INCOMING_CONTAINER, "acme-payroll/copy.csv", content)

    first = handle_incoming_file(services, NAME)
    second = handle_incoming_file(services, "acme-payroll/copy.csv")

    assert (first.state, second.state) == ("validated", "duplicate")
    assert len(publisher.to(FILE_VALIDATED_QUEUE)) == 1
    terminal = assert_terminal_state(blobs, second.file_id, "duplicate")
    assert terminal["duplicate_of"] == first.file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert_terminal_state(blobs, first.file_id, "delivered")


def test_adaptor_failure_dead_letters_then_validator_compensates_to_failed() -> None:
    services, blobs, publisher, _ = make_services(faults="adaptor=acme-payroll/*")
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id

    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    dead = fail_until_dead_lettered(
        lambda d: handle_file_validated(services, d),
        validated,
        InjectedFault,
        MAX_DELIVERY[FILE_VALIDATED_QUEUE],
    )
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    failed = deliver_failed(publisher, "validator")
    assert body_of(failed)["data"]["failed_step"] == "adaptor"
    handle_validator_compensation(services, failed)

    assert publisher.pipeline_sent() == []
    assert_terminal_state(blobs, file_id, "failed")
    archive_name = next(blobs.list_names(WORKFLOW_CONTAINER, f"deadletter/{file_id}/{FILE_VALIDATED_QUEUE}/"))
    archive = json.loads(blobs.read(WORKFLOW_CONTAINER, archive_name))
    assert archive["dead_letter_reason"] == "MaxDeliveryCountExceeded"
    assert archive["last_error"]["error_type"] == "InjectedFault"
    assert archive["last_error"]["attempt"] == MAX_DELIVERY[FILE_VALIDATED_QUEUE]
    assert json.loads(archive["body"])["type"] == "file.validated"
    reason = json.loads(blobs.read("failed", f"{file_id}/reason.json"))
    assert "InjectedFault" in reason["reason"]
    # The registry was released: a corrected copy of the same content can now go through.
    blobs.put(INCOMING_CONTAINER, "acme-payroll/resubmitted.csv",
        payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    assert handle_incoming_file(services, "acme-payroll/resubmitted.csv").state == "validated"


def test_creator_failure_compensates_in_reverse_order_adaptor_then_validator() -> None:
    services, blobs, publisher, _ = make_services(faults="creator=acme-payroll/2026-*.csv", threshold=1024)
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(30, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    adapted = deliver(publisher, FILE_ADAPTED_QUEUE)
    assert body_of(adapted)["data"]["document"]["kind"] == "blob"  # claim-check under a 1 KiB threshold

    dead = fail_until_dead_lettered(
        lambda d: handle_file_adapted(services, d), adapted, InjectedFault, MAX_DELIVERY[FILE_ADAPTED_QUEUE]
    )
    handle_dead_lettered(services, dead, FILE_ADAPTED_QUEUE)
    handle_adaptor_compensation(services, deliver_failed(publisher, "adaptor"))
    handle_validator_compensation(services, deliver_failed(publisher, "validator"))

    assert publisher.pipeline_sent() == []
    assert_terminal_state(blobs, file_id, "failed")
    steps = [e["step"] for e in read_events(blobs, file_id) if e["event"] == "compensated"]
    assert steps == ["adaptor", "validator"]
    assert not list(blobs.list_names(OUTGOING_CONTAINER))


def test_compensation_redelivery_changes_nothing() -> None:
    services, blobs, publisher, _ = make_services(faults="adaptor=*")
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    dead = fail_until_dead_lettered(
        lambda d: handle_file_validated(services, d),
        deliver(publisher, FILE_VALIDATED_QUEUE),
        InjectedFault,
        2,
    )
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    failed = deliver_failed(publisher, "validator")
    handle_validator_compensation(services, failed)
    snapshot = dict(blobs.blobs)
    assert handle_validator_compensation(services, failed).state == "skipped"
    assert {k for k in blobs.blobs if "timeline" not in k[1]} == {
        k for k in snapshot if "timeline" not in k[1]
    }
    assert_terminal_state(blobs, file_id, "failed")
    assert len(publisher.to(FILE_FAILED_TOPIC)) == 0


@pytest.mark.parametrize("no_verdict", [False, True], ids=["checked", "check-gave-no-verdict"])
def test_output_that_fails_its_xsd_check_never_reaches_outgoing_and_the_error_has_lines(
    monkeypatch: pytest.MonkeyPatch, no_verdict: bool,
) -> None:
    # A writer bug, simulated: the creator's own writer emits an invalid PmtMtd. The check runs while
    # the blocks are staged, so nothing is committed, and the error is the full report, with lines;
    # also when the check gave no verdict (its helper died) and the creator checked again in process.
    from shared.domain.pain001 import Pain001SchemaError, write_pain001
    from shared.handlers import creator

    def broken_writer(document, out):  # type: ignore[no-untyped-def]
        class Replacing:
            def write(self, data: bytes) -> int:
                return out.write(data.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>"))

        write_pain001(document, Replacing())

    services, blobs, publisher, _ = make_services()
    if no_verdict:
        services.schema_checks = _NoVerdictChecks()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))
    handle_incoming_file(services, NAME)
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    monkeypatch.setattr(creator, "write_pain001", broken_writer)
    with pytest.raises(Pain001SchemaError, match=r"line \d+: .*PmtMtd"):
        handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert list(blobs.list_names(OUTGOING_CONTAINER, "")) == []


class _NoVerdict:
    """A check that takes the whole document and then can give no verdict, as a helper that died."""

    def __init__(self) -> None:
        self.fed = 0

    def write(self, data: bytes) -> int:
        self.fed += len(data)
        return len(data)

    def first_error(self) -> str | None:
        raise SchemaCheckUnavailable("the pain.001 check helper ended before it answered")


class _NoVerdictChecks:
    def __init__(self) -> None:
        self.opened: list[_NoVerdict] = []

    def open(self, transactions: int) -> contextlib.AbstractContextManager[_NoVerdict]:
        self.opened.append(_NoVerdict())
        return contextlib.nullcontext(self.opened[-1])


def test_a_check_that_gives_no_verdict_is_done_again_in_process_before_the_file_is_delivered() -> None:
    services, blobs, publisher, _ = make_services()
    services.schema_checks = checks = _NoVerdictChecks()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    assert handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE)).state == "delivered"
    assert len(checks.opened) == 1 and checks.opened[0].fed > 0  # the document went to the check first
    [output] = list(blobs.list_names(OUTGOING_CONTAINER, ""))
    validate_pain001(blobs.read(OUTGOING_CONTAINER, output))
    assert_terminal_state(blobs, file_id, "delivered")
