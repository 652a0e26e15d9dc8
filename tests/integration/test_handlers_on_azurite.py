"""The handlers over real Azurite storage (the publisher stays a fake): the same terminal-state
invariant the unit scenarios assert, here against the real SDK and ETags."""

from __future__ import annotations

import pytest
from azure.storage.blob import BlobServiceClient

from shared.adapters.azure_blob import AzureBlobStore
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_validator_compensation
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.faults import FaultPlan, InjectedFault
from shared.handlers.identity import normalise_etag
from shared.handlers.inbound import Delivery
from shared.handlers.poison import handle_blob_poison
from shared.handlers.reference_loader import CachedReferenceTable
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.topology import FILE_ADAPTED_QUEUE, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, SAMPLE_REFERENCE, FakeClock, FakePublisher
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver, deliver_failed, fail_until_dead_lettered

pytestmark = pytest.mark.integration


def services_on(
    blob_service: BlobServiceClient, faults: str = ""
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
        faults=FaultPlan.parse(faults),
        claim_check_threshold=16 * 1024,
    )
    return services, store, publisher


def test_large_file_is_delivered_through_azurite_with_the_claim_check(
    blob_service: BlobServiceClient,
) -> None:
    services, store, publisher = services_on(blob_service)
    store.write(INCOMING_CONTAINER, "acme-payroll/big.csv",
        payment_csv(500, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, "acme-payroll/big.csv").file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert_terminal_state(store, file_id, "delivered")


def test_adaptor_failure_ends_failed_on_azurite(blob_service: BlobServiceClient) -> None:
    services, store, publisher = services_on(blob_service, faults="adaptor=*")
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


def test_validator_poison_on_azurite_uses_the_real_etag(blob_service: BlobServiceClient) -> None:
    services, store, publisher = services_on(blob_service, faults="validator=*")
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
