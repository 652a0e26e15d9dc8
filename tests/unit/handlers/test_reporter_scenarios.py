"""Scenario tests for FileReporter: each terminal state, reached by the real handlers over fakes, gives
exactly one pain.002 in `reports/<sender>/<file id>.pain.002.xml` that says what became of the file;
the reporter's failures never change the file's state."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from localdev.stack.summary_text import summary_lines
from ops.errors import NotFoundError
from ops.report import remake_report
from shared.domain.pain002_schema import NAMESPACE, validate_pain002
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_validator_compensation
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.faults import InjectedFault
from shared.handlers.participant_deadletter import handle_participant_dead_lettered
from shared.handlers.reporter import handle_file_ended
from shared.handlers.status import file_status
from shared.handlers.timeline import read_terminal
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.topology import FILE_ADAPTED_QUEUE, FILE_ENDED_TOPIC, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, FakePublisher, make_services
from tests.samplefiles import HEADER, payment_csv
from tests.unit.handlers.driver import MAX_DELIVERY, deliver, deliver_failed, fail_until_dead_lettered

pytestmark = pytest.mark.unit
NAME = "acme-payroll/2026-11-20.csv"
NS = {"p": NAMESPACE}
ENDED = f"{FILE_ENDED_TOPIC}/reporter"


def report_of(blobs: FakeBlobStore, file_id: str) -> etree._Element:
    (name,) = list(blobs.list_names("reports"))
    assert name == f"acme-payroll/{file_id}.pain.002.xml"
    data = blobs.read("reports", name)
    validate_pain002(data)
    return etree.fromstring(data)


def report_all(services: Services, publisher: FakePublisher) -> list[str]:
    """Deliver every `file.ended` to the reporter, as the subscription would; the outcomes' states."""
    states = []
    while publisher.to(FILE_ENDED_TOPIC):
        states.append(handle_file_ended(services, deliver(publisher, FILE_ENDED_TOPIC)).state)
    return states


def delivered_file(faults: str = "") -> tuple[Services, FakeBlobStore, FakePublisher, str]:
    services, blobs, publisher, _ = make_services(faults=faults)
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    return services, blobs, publisher, file_id


def test_a_delivered_file_gets_an_accepted_report_naming_its_pain001() -> None:
    services, blobs, publisher, file_id = delivered_file()
    assert report_all(services, publisher) == ["reported"]

    root = report_of(blobs, file_id)
    xml = blobs.read("outgoing", f"acme-payroll/{file_id}.xml").decode()
    msg_id = root.findtext(".//p:OrgnlMsgId", namespaces=NS)
    assert f"<MsgId>{msg_id}</MsgId>" in xml
    assert root.findtext(".//p:GrpSts", namespaces=NS) == "ACCP"
    assert root.findtext(".//p:OrgnlNbOfTxs", namespaces=NS) == "3"


def test_a_rejected_file_gets_one_rejected_transaction_per_bad_row() -> None:
    services, blobs, publisher, _ = make_services()
    day = FAKE_EXECUTION_DATE.isoformat()
    rows = [f"P-1,DE89370400440532013000,ACME,FR0000000000000000000000000,Bad Iban,,10.00,EUR,{day},x",
            f"P-2,DE89370400440532013000,ACME,NL91ABNA0417164300,Jan,,99999999.00,EUR,{day},y",
            f"P-3,DE89370400440532013000,ACME,NL91ABNA0417164300,Jan,ABNANL2A,5.00,EUR,{day},ok",
            "P-4,DE89370400440532013000,ACME,NL91ABNA0417164300,Jan,NOTABIC!,5.00,EUR,2026-13-40,z"]
    blobs.put(INCOMING_CONTAINER, NAME, ("\n".join([HEADER, *rows]) + "\n").encode())
    file_id = handle_incoming_file(services, NAME).file_id
    assert report_all(services, publisher) == ["reported"]

    root = report_of(blobs, file_id)
    assert root.findtext(".//p:GrpSts", namespaces=NS) == "RJCT"
    rejected = {t.findtext("p:OrgnlEndToEndId", namespaces=NS):
                [c.text for c in t.iterfind("p:StsRsnInf/p:Rsn/p:Cd", NS)]
                for t in root.iterfind(".//p:TxInfAndSts", NS)}
    assert rejected["P-1"] == ["AC01"] and "AM02" in rejected["P-2"]
    assert "P-3" not in rejected and {"RC01", "DT01"} <= set(rejected["P-4"])
    assert {t.text for t in root.iterfind(".//p:TxSts", NS)} == {"RJCT"}


def test_a_duplicate_gets_a_rejection_naming_the_earlier_file() -> None:
    services, blobs, publisher, _ = make_services()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    first = handle_incoming_file(services, NAME).file_id
    again = payment_csv(2, execution_date=FAKE_EXECUTION_DATE)
    blobs.put(INCOMING_CONTAINER, "acme-payroll/again.csv", again)
    second = handle_incoming_file(services, "acme-payroll/again.csv").file_id
    assert report_all(services, publisher) == ["reported"]

    root = report_of(blobs, second)
    assert root.findtext(".//p:StsRsnInf/p:Rsn/p:Cd", namespaces=NS) == "AM05"
    assert first in " ".join(e.text or "" for e in root.iterfind(".//p:AddtlInf", NS))


def test_a_failed_file_gets_a_rejection_naming_the_failed_step() -> None:
    services, blobs, publisher, _ = make_services(faults="adaptor=acme-payroll/*")
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    dead = fail_until_dead_lettered(lambda d: handle_file_validated(services, d),
                                    deliver(publisher, FILE_VALIDATED_QUEUE), InjectedFault,
                                    MAX_DELIVERY[FILE_VALIDATED_QUEUE])
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    handle_validator_compensation(services, deliver_failed(publisher, "validator"))
    assert report_all(services, publisher) == ["reported"]

    root = report_of(blobs, file_id)
    assert root.findtext(".//p:GrpSts", namespaces=NS) == "RJCT"
    assert "its adaptor step failed" in " ".join(e.text or "" for e in root.iterfind(".//p:AddtlInf", NS))


def test_a_redelivered_or_re_announced_ending_leaves_the_one_report_unchanged() -> None:
    services, blobs, publisher, file_id = delivered_file()
    ended = deliver(publisher, FILE_ENDED_TOPIC)
    assert handle_file_ended(services, ended).state == "reported"
    before = blobs.read("reports", f"acme-payroll/{file_id}.pain.002.xml")
    assert handle_file_ended(services, ended).state == "skipped"
    assert blobs.read("reports", f"acme-payroll/{file_id}.pain.002.xml") == before


def test_a_reporter_that_keeps_failing_is_archived_and_the_state_stays() -> None:
    services, blobs, publisher, file_id = delivered_file(faults="reporter=acme-payroll/*")
    dead = fail_until_dead_lettered(lambda d: handle_file_ended(services, d),
                                    deliver(publisher, FILE_ENDED_TOPIC), InjectedFault, 5)
    outcome = handle_participant_dead_lettered(services, dead, "reporter")

    assert outcome.state == "gave_up"
    archive = json.loads(blobs.read("workflow", outcome.detail.removeprefix("workflow/")))
    assert archive["entity"] == ENDED and archive["last_error"]["error_type"] == "InjectedFault"
    assert (read_terminal(blobs, file_id) or {})["state"] == "delivered"
    assert list(blobs.list_names("reports")) == [] and publisher.pipeline_sent() == []


def test_status_names_the_report_and_whether_it_is_written_yet() -> None:
    services, blobs, publisher, file_id = delivered_file()
    path = f"reports/acme-payroll/{file_id}.pain.002.xml"
    pending = (file_status(blobs, file_id) or {})["summary"]
    assert (pending["status_report"], pending["status_report_written"]) == (path, False)
    report_all(services, publisher)
    summary = (file_status(blobs, file_id) or {})["summary"]
    assert (summary["status_report"], summary["status_report_written"]) == (path, True)
    assert f"status report (pain.002): {path}" in summary_lines(summary)


def test_a_lost_report_is_re_made_from_the_stored_ending_with_the_same_bytes() -> None:
    services, blobs, publisher, file_id = delivered_file()
    report_all(services, publisher)
    name = f"acme-payroll/{file_id}.pain.002.xml"
    original = blobs.read("reports", name)
    assert "already there" in remake_report(blobs, file_id)
    blobs.delete("reports", name)
    assert remake_report(blobs, file_id) == f"wrote reports/{name} (delivered)"
    assert blobs.read("reports", name) == original
    with pytest.raises(NotFoundError, match="has not ended"):
        remake_report(blobs, "acme-payroll.never.0000000a")
