"""The reconciler over fakes: every gap it closes ends in exactly one terminal state, recorded on the
timeline; a second run (or a second instance) does nothing more; each run is bounded."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_adaptor_compensation, handle_validator_compensation
from shared.handlers.creator import handle_file_adapted
from shared.handlers.identity import incoming_file_id, normalise_etag
from shared.handlers.reconcile.policy import ReconcilePolicy
from shared.handlers.reconcile.run import reconcile
from shared.handlers.timeline import open_marker_name, read_events, read_terminal, record_received
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.topology import (
    EVENTGRID_DEADLETTER_CONTAINER,
    FILE_ADAPTED_QUEUE,
    FILE_ENDED_TOPIC,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    WORKFLOW_CONTAINER,
)
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, FakePublisher, make_services
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver, deliver_failed

pytestmark = pytest.mark.unit
POLICY = ReconcilePolicy(unseen_after=timedelta(minutes=5), stalled_after=timedelta(hours=2), max_files=50)


def csv(tag: str) -> bytes:
    return payment_csv(3, execution_date=FAKE_EXECUTION_DATE, tag=tag)


def upload(blobs: FakeBlobStore, name: str, tag: str) -> str:
    """A blob whose event never arrives: nothing runs the validator for it."""
    return incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv(tag)))


def run_pipeline(services: Services, publisher: FakePublisher) -> None:
    """Consume whatever was published, the way the Service Bus triggers would."""
    while publisher.sent:
        entity = publisher.sent[0].entity
        if entity == FILE_ENDED_TOPIC:  # the lifecycle event: its participants are not under test here
            publisher.sent.pop(0)
        elif entity == FILE_VALIDATED_QUEUE:
            handle_file_validated(services, deliver(publisher, entity))
        elif entity == FILE_ADAPTED_QUEUE:
            handle_file_adapted(services, deliver(publisher, entity))
        elif publisher.sent[0].message.application_properties.get("compensate") == "adaptor":
            handle_adaptor_compensation(services, deliver_failed(publisher, "adaptor"))
        else:
            handle_validator_compensation(services, deliver_failed(publisher, "validator"))


def reconciled(blobs: FakeBlobStore, file_id: str) -> list[dict[str, object]]:
    return [e for e in read_events(blobs, file_id) if e["event"] == "reconciled"]


def dead_letter_blob(blobs: FakeBlobStore, name: str, etag: str, reason: str = "MaxDeliveryAttemptsExceeded",
                     ) -> str:
    event = {"id": "e1", "eventType": "Microsoft.Storage.BlobCreated",
             "subject": f"/blobServices/default/containers/incoming/blobs/{name}", "deadLetterReason": reason,
             "deliveryAttempts": 30, "data": {"eTag": etag, "url": f"https://x/incoming/{name}"}}
    path = "evgt-x/fileValidatorIncoming/2026/11/20/08/e1.json"
    blobs.put(EVENTGRID_DEADLETTER_CONTAINER, path, json.dumps([event]).encode())
    return path


# --- a lost blob event ---------------------------------------------------------------------------------


def test_a_blob_nobody_triggered_is_driven_after_it_was_unseen_long_enough() -> None:
    services, blobs, publisher, clock = make_services()
    file_id = upload(blobs, "acme-payroll/lost.csv", "lost")

    assert reconcile(services, POLICY).repairs == 0  # first sighting: it may simply be early
    clock.advance(minutes=4)
    assert reconcile(services, POLICY).repairs == 0
    clock.advance(minutes=2)
    report = reconcile(services, POLICY)
    assert report.unseen_driven == 1
    run_pipeline(services, publisher)

    assert_terminal_state(blobs, file_id, "delivered")
    (event,) = reconciled(blobs, file_id)
    assert event["action"] == "unseen" and "no received event" in str(event["reason"])
    assert reconcile(services, POLICY).repairs == 0  # idempotent: nothing left to do
    assert not list(blobs.list_names(WORKFLOW_CONTAINER, "reconciler/sightings/"))


def test_a_blob_the_trigger_reaches_late_is_left_to_it() -> None:
    services, blobs, _, clock = make_services()
    name = "acme-payroll/slow.csv"
    etag = blobs.put(INCOMING_CONTAINER, name, csv("slow"))
    reconcile(services, POLICY)
    handle_incoming_file(services, name, etag)  # the trigger, just slow
    clock.advance(minutes=10)
    assert reconcile(services, POLICY).unseen_driven == 0


def test_event_grid_dead_letters_are_driven_at_once_counted_and_removed() -> None:
    services, blobs, publisher, _ = make_services()
    name = "acme-payroll/dead-lettered.csv"
    etag = blobs.put(INCOMING_CONTAINER, name, csv("dl"))
    path = dead_letter_blob(blobs, name, etag)

    report = reconcile(services, POLICY)
    run_pipeline(services, publisher)

    file_id = incoming_file_id(name, etag)
    assert report.eventgrid_dead_lettered == 1
    assert_terminal_state(blobs, file_id, "delivered")
    assert "MaxDeliveryAttemptsExceeded" in str(reconciled(blobs, file_id)[0]["reason"])
    assert not blobs.exists(EVENTGRID_DEADLETTER_CONTAINER, path)
    assert reconcile(services, POLICY).eventgrid_dead_lettered == 0


def test_a_dead_lettered_event_for_a_file_that_was_processed_anyway_changes_nothing() -> None:
    services, blobs, publisher, _ = make_services()
    name = "acme-payroll/late.csv"
    etag = blobs.put(INCOMING_CONTAINER, name, csv("late"))
    handle_incoming_file(services, name, etag)
    run_pipeline(services, publisher)
    dead_letter_blob(blobs, name, etag)

    assert reconcile(services, POLICY).eventgrid_dead_lettered == 1
    file_id = incoming_file_id(name, etag)
    assert_terminal_state(blobs, file_id, "delivered")
    assert not reconciled(blobs, file_id)


def test_an_unreadable_dead_letter_blob_is_left_for_a_person() -> None:
    services, blobs, _, _ = make_services()
    blobs.put(EVENTGRID_DEADLETTER_CONTAINER, "x/y.json", b"not json")
    assert reconcile(services, POLICY).eventgrid_unreadable == 1
    assert blobs.exists(EVENTGRID_DEADLETTER_CONTAINER, "x/y.json")


# --- a stalled file ------------------------------------------------------------------------------------


def test_a_file_whose_message_was_lost_after_validation_ends_failed_and_compensated() -> None:
    services, blobs, publisher, clock = make_services()
    name = "acme-payroll/stalled.csv"
    file_id = incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv("stall")))
    handle_incoming_file(services, name)
    publisher.sent.clear()  # file.validated is lost (purged, or expired without dead-lettering)

    clock.advance(hours=1)
    assert reconcile(services, POLICY).stalled_failed == 0  # not yet longer than a step can take
    clock.advance(hours=1, minutes=1)
    assert reconcile(services, POLICY).stalled_failed == 1
    run_pipeline(services, publisher)

    assert_terminal_state(blobs, file_id, "failed")
    terminal = read_terminal(blobs, file_id) or {}
    assert str(terminal["reason"]).startswith("adaptor stalled: no progress for 121 min after 'validated'")
    assert "/reconciler/" in str(terminal["archive"])
    (event,) = reconciled(blobs, file_id)
    assert event["action"] == "fail" and event["failed_step"] == "adaptor"
    assert not blobs.exists(WORKFLOW_CONTAINER, open_marker_name(file_id))
    clock.advance(hours=3)
    assert reconcile(services, POLICY).repairs == 0


def test_a_file_stalled_in_the_validator_is_revalidated_from_incoming_first() -> None:
    services, blobs, publisher, clock = make_services()
    name = "acme-payroll/crashed.csv"
    file_id = incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv("crash")))
    blobs.fail_writes[f"workflow/archive/{file_id}/*"] = 1  # the validator crashed after `received`
    with pytest.raises(ConnectionError):
        handle_incoming_file(services, name)
    # ... and its blob event was never retried (the poison path never ran either)
    clock.advance(hours=3)
    report = reconcile(services, POLICY)
    run_pipeline(services, publisher)

    assert report.stalled_redriven == 1
    assert_terminal_state(blobs, file_id, "delivered")
    assert reconciled(blobs, file_id)[0]["action"] == "stalled-revalidate"


def test_a_validator_that_stopped_before_it_claimed_is_put_on_the_work_list_from_incoming() -> None:
    """The validator marks a file open only as it claims its fingerprint; a host that died right after
    `received` (no step_failed, and the blob event never retried) leaves a file the incoming sweep hands
    to the stalled-file sweep, which revalidates it once it has not moved for `stalled_after`."""
    services, blobs, publisher, clock = make_services()
    name = "acme-payroll/killed.csv"
    etag = normalise_etag(blobs.put(INCOMING_CONTAINER, name, csv("killed")))
    file_id = incoming_file_id(name, etag)
    record_received(blobs, clock, file_id, sender="acme-payroll", blob_name=name, etag=etag, size=1)
    assert not blobs.exists(WORKFLOW_CONTAINER, open_marker_name(file_id))

    reconcile(services, POLICY)
    assert blobs.exists(WORKFLOW_CONTAINER, open_marker_name(file_id))
    clock.advance(hours=3)
    report = reconcile(services, POLICY)
    run_pipeline(services, publisher)

    assert report.stalled_redriven == 1
    assert_terminal_state(blobs, file_id, "delivered")
    assert not blobs.exists(WORKFLOW_CONTAINER, open_marker_name(file_id))


def test_after_the_last_attempt_it_alerts_and_stops() -> None:
    services, blobs, publisher, clock = make_services()
    name = "acme-payroll/stuck.csv"
    file_id = incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv("stuck")))
    handle_incoming_file(services, name)
    for _ in range(POLICY.max_attempts + 2):
        publisher.sent.clear()  # every file.failed is lost too (the compensation never runs)
        clock.advance(hours=2, minutes=1)
        reconcile(services, POLICY)
    events = [e["event"] for e in read_events(blobs, file_id)]
    assert events.count("reconciled") == POLICY.max_attempts
    assert events.count("needs_attention") == 1
    assert read_terminal(blobs, file_id) is None


def test_two_instances_at_once_act_once() -> None:
    services, blobs, publisher, clock = make_services()
    name = "acme-payroll/twice.csv"
    file_id = incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv("twice")))
    handle_incoming_file(services, name)
    publisher.sent.clear()
    clock.advance(hours=3)
    # The second instance starts its run while the first is about to claim.
    blobs.before_write(f"workflow/reconciler/claims/{file_id}/stalled-1.json",
                       lambda: reconcile(services, POLICY))
    reconcile(services, POLICY)
    assert len(reconciled(blobs, file_id)) == 1
    assert len(publisher.sent) == 1


def test_a_run_examines_at_most_max_files_and_covers_the_rest_next_time() -> None:
    services, blobs, publisher, clock = make_services()
    ids = []
    for i in range(5):
        name = f"acme-payroll/many-{i}.csv"
        ids.append(incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv(f"m{i}"))))
        handle_incoming_file(services, name)
    publisher.sent.clear()
    clock.advance(hours=3)
    small = ReconcilePolicy(stalled_after=timedelta(hours=2), max_files=2)
    assert [reconcile(services, small).stalled_failed for _ in range(3)] == [2, 2, 1]
    assert all(reconciled(blobs, file_id) for file_id in ids)


def test_an_ended_file_leaves_the_work_list() -> None:
    services, blobs, publisher, _ = make_services()
    name = "acme-payroll/done.csv"
    file_id = incoming_file_id(name, blobs.put(INCOMING_CONTAINER, name, csv("done")))
    handle_incoming_file(services, name)
    assert blobs.exists(WORKFLOW_CONTAINER, open_marker_name(file_id))
    run_pipeline(services, publisher)
    assert not blobs.exists(WORKFLOW_CONTAINER, open_marker_name(file_id))


def test_a_storage_outage_in_one_sweep_does_not_stop_the_others() -> None:
    services, blobs, _, clock = make_services()
    blobs.put(EVENTGRID_DEADLETTER_CONTAINER, "x/y.json", b"[]")
    blobs.fail_writes["workflow/reconciler/eventgrid/*"] = 1
    clock.advance(minutes=1)
    report = reconcile(services, POLICY)
    assert report.errors and report.errors[0].startswith("eventgrid:")

