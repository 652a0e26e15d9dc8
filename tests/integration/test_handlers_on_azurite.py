"""The handlers over real Azurite storage (the publisher stays a fake): the same terminal-state
invariant the unit scenarios assert, here against the real SDK and ETags."""

from __future__ import annotations

import json
import uuid

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

from shared.adapters.azure_blob import AzureBlobStore
from shared.adapters.azure_table import AzureTablePaymentIndex
from shared.adapters.schema_check_process import HelperProcessChecks
from shared.domain.pain001 import validate_pain001
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_validator_compensation
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.faults import FaultPlan, InjectedFault
from shared.handlers.identity import normalise_etag
from shared.handlers.inbound import Delivery
from shared.handlers.payment_claims import ClaimRequest, claim_payments
from shared.handlers.poison import handle_blob_poison
from shared.handlers.reference_loader import CachedReferenceTable
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.topology import FILE_ADAPTED_QUEUE, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER, OUTGOING_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, SAMPLE_REFERENCE, FakeClock, FakePublisher
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver, deliver_failed, fail_until_dead_lettered

pytestmark = pytest.mark.integration


def services_on(
    blob_service: BlobServiceClient, table_service: TableServiceClient, faults: str = ""
) -> tuple[Services, AzureBlobStore, FakePublisher]:
    # Each test gets a fresh Azurite account view by deleting what earlier tests left in our containers.
    store = AzureBlobStore(blob_service)
    for container in blob_service.list_containers():
        blob_service.delete_container(container.name)
    store.write("reference", "reference-table.json", SAMPLE_REFERENCE.read_bytes())
    clock, publisher = FakeClock(), FakePublisher()
    services = Services(
        blobs=store,
        publisher=publisher,
        clock=clock,
        reference=CachedReferenceTable(store, clock, 0),
        payments=AzureTablePaymentIndex(table_service, table=f"claims{uuid.uuid4().hex[:12]}"),
        faults=FaultPlan.parse(faults),
        claim_check_threshold=16 * 1024,
    )
    return services, store, publisher


def test_large_file_is_delivered_through_azurite_with_the_claim_check(
    blob_service: BlobServiceClient, table_service: TableServiceClient,
) -> None:
    services, store, publisher = services_on(blob_service, table_service)
    store.write(INCOMING_CONTAINER, "acme-payroll/big.csv",
        payment_csv(500, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, "acme-payroll/big.csv").file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert_terminal_state(store, file_id, "delivered")


def test_a_file_checked_in_the_helper_process_is_delivered_through_azurite(
    blob_service: BlobServiceClient, table_service: TableServiceClient,
) -> None:
    services, store, publisher = services_on(blob_service, table_service)
    services.schema_checks = checks = HelperProcessChecks(min_transactions=100, cores=2)
    try:
        store.write(INCOMING_CONTAINER, "acme-payroll/big.csv",
                    payment_csv(500, execution_date=FAKE_EXECUTION_DATE))  # fmt: skip
        file_id = handle_incoming_file(services, "acme-payroll/big.csv").file_id
        handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
        handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
        assert checks.helper_pid is not None  # the check ran in the helper
    finally:
        checks.stop()
    assert_terminal_state(store, file_id, "delivered")
    [output] = [name for name in store.list_names(OUTGOING_CONTAINER, "")]
    validate_pain001(store.open_reader(OUTGOING_CONTAINER, output).stream)


def test_adaptor_failure_ends_failed_on_azurite(
    blob_service: BlobServiceClient, table_service: TableServiceClient) -> None:
    services, store, publisher = services_on(blob_service, table_service, faults="adaptor=*")
    store.write(INCOMING_CONTAINER, "acme-payroll/f.csv", payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, "acme-payroll/f.csv").file_id
    dead = fail_until_dead_lettered(
        lambda d: handle_file_validated(services, d),
        deliver(publisher, FILE_VALIDATED_QUEUE),
        InjectedFault,
        3,
    )
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    handle_validator_compensation(services, deliver_failed(publisher, "validator"))
    assert_terminal_state(store, file_id, "failed")


def test_validator_poison_on_azurite_uses_the_real_etag(
    blob_service: BlobServiceClient, table_service: TableServiceClient) -> None:
    services, store, publisher = services_on(blob_service, table_service, faults="validator=*")
    etag = store.write(INCOMING_CONTAINER, "acme-payroll/p.csv",
        payment_csv(1, execution_date=FAKE_EXECUTION_DATE))
    with pytest.raises(InjectedFault):
        handle_incoming_file(services, "acme-payroll/p.csv", etag)
    notice = (
        f'{{"Type":"BlobTrigger","FunctionId":"Host.Functions.FileValidator","BlobType":"BlockBlob",'
        f'"ContainerName":"incoming","BlobName":"acme-payroll/p.csv","ETag":"{normalise_etag(etag)}"}}'
    )
    file_id = handle_blob_poison(services, Delivery(body=notice.encode(), message_id="q")).file_id
    handle_validator_compensation(services, deliver_failed(publisher, "validator"))
    assert_terminal_state(store, file_id, "failed")


def test_a_payment_delivered_earlier_is_refused_in_a_later_file_on_azurite(
    blob_service: BlobServiceClient, table_service: TableServiceClient) -> None:
    """The real adapter's conflict path: a batch meets a claim, reads its key range back, and reports
    the row; the rejected file then holds no claim, and its corrected copy goes through."""
    services, store, publisher = services_on(blob_service, table_service)
    store.write(INCOMING_CONTAINER, "acme-payroll/a.csv",
                payment_csv(150, tag="IT", execution_date=FAKE_EXECUTION_DATE))
    first = handle_incoming_file(services, "acme-payroll/a.csv").file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    later = payment_csv(151, tag="IT", execution_date=FAKE_EXECUTION_DATE).splitlines(keepends=True)
    store.write(INCOMING_CONTAINER, "acme-payroll/b.csv", b"".join([later[0], *later[150:]]))  # IT-00150, 151

    second = handle_incoming_file(services, "acme-payroll/b.csv")

    assert second.state == "rejected"
    report = json.loads(store.read("rejected", f"{second.file_id}/report.json"))
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "duplicate_payment")]
    assert first in report["errors"][0]["message"]
    assert services.payments.existing("acme-payroll", ["IT-00151"]) == {}
    store.write(INCOMING_CONTAINER, "acme-payroll/c.csv", b"".join([later[0], later[151]]))
    assert handle_incoming_file(services, "acme-payroll/c.csv").state == "validated"


def test_batches_in_flight_together_find_every_duplicate_on_azurite(
    blob_service: BlobServiceClient, table_service: TableServiceClient) -> None:
    """The adapter sends a file's batches 8 at a time: every overlapping id is still reported, once."""
    services, _, _ = services_on(blob_service, table_service)
    first = [(f"PAR-{n:06d}", n + 2) for n in range(5000)]
    request = ClaimRequest("acme-payroll", "acme-payroll.first.0000000a", "acme-payroll/first.csv", 90)
    assert claim_payments(services, request, first) == []
    overlap = [("PAR-000007", 2), ("PAR-002500", 3), ("PAR-004999", 4), ("NEW-000001", 5)]
    later = ClaimRequest("acme-payroll", "acme-payroll.later.0000000b", "acme-payroll/later.csv", 90)
    found = claim_payments(services, later, overlap)
    assert sorted((d.payment_id, d.earlier_file) for d in found) == [
        (pid, "acme-payroll.first.0000000a") for pid in ("PAR-000007", "PAR-002500", "PAR-004999")]
