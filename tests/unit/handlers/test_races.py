"""At-least-once hazards, staged with the fake store's hooks: a crash between two side effects, and a
second handler running in the middle of another. Whatever the interleaving, the file ends in exactly one
terminal state whose evidence matches it, and nothing is left behind."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from shared.contracts.timeline import TERMINAL_STATES
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_adaptor_compensation, handle_validator_compensation
from shared.handlers.compensation_deadletter import handle_compensation_dead_lettered
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.identity import incoming_file_id, normalise_etag
from shared.handlers.inbound import Delivery
from shared.handlers.outcome import already_ended
from shared.handlers.timeline import claim_ending, read_events, read_terminal, write_terminal
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    OUTGOING_CONTAINER,
    REFERENCE_CONTAINER,
    REFERENCE_TABLE_BLOB,
    VALIDATOR_COMPENSATION_SUBSCRIPTION,
)
from tests.fakes import (
    FAKE_EXECUTION_DATE,
    SAMPLE_REFERENCE,
    FakeBlobStore,
    FakePublisher,
    StorageOutageError,
    make_services,
)
from tests.invariants import assert_terminal_state
from tests.samplefiles import invalid_csv, payment_csv
from tests.unit.handlers.driver import body_of, deliver, deliver_failed

pytestmark = pytest.mark.unit
NAME = "acme-payroll/race.csv"


def adapted_file() -> tuple[Services, FakeBlobStore, FakePublisher, str, Delivery, Delivery]:
    """A file through the adaptor, its documents staged (claim-check), `file.adapted` not yet consumed."""
    services, blobs, publisher, _ = make_services(threshold=1024)
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(20, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    handle_file_validated(services, validated)
    return services, blobs, publisher, file_id, validated, deliver(publisher, FILE_ADAPTED_QUEUE)


def validator_compensation_for(services: Services, publisher: FakePublisher, validated: Delivery) -> Delivery:
    """The adaptor published `file.adapted`, then kept failing its own bookkeeping: its queue dead-letters."""
    dead = replace(validated, delivery_count=5, dead_letter_reason="MaxDeliveryCountExceeded")
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    return deliver_failed(publisher, "validator")


def assert_consistent(blobs: FakeBlobStore, file_id: str) -> str:
    terminal = read_terminal(blobs, file_id)
    assert terminal is not None, f"{file_id} has no terminal state"
    assert_terminal_state(blobs, file_id, str(terminal["state"]))
    return str(terminal["state"])


def test_creator_redelivered_after_a_crash_between_cleanup_and_terminal_still_delivers() -> None:
    services, blobs, _, file_id, _, adapted = adapted_file()
    blobs.fail_writes[f"workflow/timeline/{file_id}/terminal.json"] = 1
    with pytest.raises(StorageOutageError):
        handle_file_adapted(services, adapted)

    assert handle_file_adapted(services, replace(adapted, delivery_count=2)).state == "delivered"
    assert_terminal_state(blobs, file_id, "delivered")


def test_creator_redelivered_after_delivering_finishes_its_cleanup() -> None:
    # A crash after the state is recorded, before the end is announced and staging is cleaned up.
    services, blobs, publisher, file_id, _, adapted = adapted_file()
    publisher.fail_next = 1
    with pytest.raises(ConnectionError):
        handle_file_adapted(services, adapted)
    assert read_terminal(blobs, file_id) is not None

    assert handle_file_adapted(services, replace(adapted, delivery_count=2)).state == "skipped"
    assert_terminal_state(blobs, file_id, "delivered")


def test_compensation_finishing_while_the_creator_writes_leaves_no_output() -> None:
    services, blobs, publisher, file_id, validated, adapted = adapted_file()
    failed = validator_compensation_for(services, publisher, validated)
    blobs.before_write(f"{OUTGOING_CONTAINER}/*", lambda: handle_validator_compensation(services, failed))

    handle_file_adapted(services, adapted)

    assert_terminal_state(blobs, file_id, "failed")
    (created,) = [event for event in read_events(blobs, file_id) if event["event"] == "created"]
    assert created["removed_because"] == "failed"  # the timeline says an output was made and removed


def test_creator_finishing_while_the_compensation_undoes_never_splits_the_file() -> None:
    services, blobs, publisher, file_id, validated, adapted = adapted_file()
    failed = validator_compensation_for(services, publisher, validated)
    blobs.before_write("failed/*", lambda: handle_file_adapted(services, adapted))

    handle_validator_compensation(services, failed)

    assert assert_consistent(blobs, file_id) == "failed"


def test_compensation_delivered_late_leaves_a_delivered_file_alone() -> None:
    services, blobs, publisher, file_id, validated, adapted = adapted_file()
    handle_file_adapted(services, adapted)
    failed = validator_compensation_for(services, publisher, validated)

    assert handle_validator_compensation(services, failed).state == "skipped"
    assert_terminal_state(blobs, file_id, "delivered")


def test_adaptor_redelivered_while_the_creator_finishes_leaves_no_staging() -> None:
    services, blobs, _, file_id, validated, adapted = adapted_file()
    blobs.before_write("workflow/staging/*/canonical.ndjson.gz",
                       lambda: handle_file_adapted(services, adapted))  # fmt: skip

    handle_file_validated(services, replace(validated, delivery_count=2))

    assert_terminal_state(blobs, file_id, "delivered")


def test_compensation_that_gives_up_after_claiming_failed_is_flagged_for_attention() -> None:
    services, blobs, publisher, file_id, validated, _ = adapted_file()
    failed = validator_compensation_for(services, publisher, validated)
    blobs.fail_writes["failed/*"] = 5
    for attempt in range(1, 6):
        with pytest.raises(StorageOutageError):
            handle_validator_compensation(services, replace(failed, delivery_count=attempt))

    dead = replace(failed, delivery_count=5, dead_letter_reason="MaxDeliveryCountExceeded")
    handle_compensation_dead_lettered(services, dead, VALIDATOR_COMPENSATION_SUBSCRIPTION)

    terminal = assert_terminal_state(blobs, file_id, "failed")
    assert terminal["needs_attention"] is True
    assert "StorageOutageError" in terminal["compensation_failure"]


def test_validator_run_straddling_the_whole_failed_chain_leaves_nothing_behind() -> None:
    """Two runs of one upload (Event Grid delivers at least once): the second stages after the first
    run's chain already failed and was compensated."""
    services, blobs, publisher, _ = make_services(faults="adaptor=*", threshold=1024)
    etag = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(20, execution_date=FAKE_EXECUTION_DATE))

    def first_run_fails_completely() -> None:
        file_id = handle_incoming_file(services, NAME, etag).file_id
        validated = deliver(publisher, FILE_VALIDATED_QUEUE)
        dead = replace(validated, dead_letter_reason="MaxDeliveryCountExceeded")
        with pytest.raises(RuntimeError):
            handle_file_validated(services, dead)
        handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
        handle_validator_compensation(services, deliver_failed(publisher, "validator"))
        assert_terminal_state(blobs, file_id, "failed")

    blobs.before_write("workflow/staging/*/validated.ndjson.gz", first_run_fails_completely)
    outcome = handle_incoming_file(services, NAME, etag)

    assert outcome.state == "already_processed"
    assert_terminal_state(blobs, outcome.file_id, "failed")


def test_a_version_replaced_before_its_trigger_ran_is_left_to_the_new_versions_trigger() -> None:
    """The sender re-uploads a corrected file under the same name before the first version's trigger
    runs: the first trigger must not validate the second version's bytes under the first version's id
    (which made the corrected upload a `duplicate` of itself)."""
    services, blobs, publisher, _ = make_services()
    first = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    second = blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))

    stale = handle_incoming_file(services, NAME, first)
    fresh = handle_incoming_file(services, NAME, second)

    assert (stale.state, fresh.state) == ("superseded", "validated")
    assert read_terminal(blobs, stale.file_id) is None and not list(blobs.list_names("rejected"))
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    assert_terminal_state(blobs, fresh.file_id, "delivered")


def test_a_reference_table_edited_mid_file_does_not_mix_two_versions() -> None:
    """An operator renames the sender while a file is being accepted: the file is validated and named
    from one version of the table, the one it was validated against."""
    services, blobs, publisher, _ = make_services()
    table = json.loads(SAMPLE_REFERENCE.read_bytes())
    table["senders"]["acme-payroll"]["name"] = "Renamed Ltd"
    edited = json.dumps(table).encode()
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(2, execution_date=FAKE_EXECUTION_DATE))
    blobs.before_write(
        "workflow/archive/*", lambda: blobs.put(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB, edited)
    )

    handle_incoming_file(services, NAME)

    assert body_of(deliver(publisher, FILE_VALIDATED_QUEUE))["data"]["sender_name"] == "ACME Payroll Ltd"


def test_a_creator_that_wrote_its_output_but_never_recorded_it_ends_failed_without_output() -> None:
    """The creator wrote a valid pain.001, then could not record `delivered` five times (storage refused
    terminal.json): its record is its claim, so nothing committed the file to delivery, and the
    compensation ends it `failed` and takes the output back. A failed file never keeps output."""
    services, blobs, publisher, file_id, _, adapted = adapted_file()
    blobs.fail_writes[f"workflow/timeline/{file_id}/terminal.json"] = 5
    for attempt in range(1, 6):
        with pytest.raises(StorageOutageError):
            handle_file_adapted(services, replace(adapted, delivery_count=attempt))
    assert blobs.exists(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")
    dead = replace(adapted, delivery_count=5, dead_letter_reason="MaxDeliveryCountExceeded")
    handle_dead_lettered(services, dead, FILE_ADAPTED_QUEUE)
    handle_adaptor_compensation(services, deliver_failed(publisher, "adaptor"))

    outcome = handle_validator_compensation(services, deliver_failed(publisher, "validator"))

    assert outcome.state == "failed"
    assert_terminal_state(blobs, file_id, "failed")
    assert not blobs.exists(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")


def test_a_creator_that_records_between_the_compensations_check_and_claim_keeps_the_delivery() -> None:
    services, blobs, publisher, file_id, validated, adapted = adapted_file()
    failed = validator_compensation_for(services, publisher, validated)
    blobs.before_write(f"workflow/timeline/{file_id}/terminal.json",
                       lambda: handle_file_adapted(services, adapted))

    outcome = handle_validator_compensation(services, failed)

    assert (outcome.state, outcome.detail) == ("skipped", "already delivered")
    assert_terminal_state(blobs, file_id, "delivered")
    assert blobs.exists(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")


def test_terminal_state_appears_only_with_its_evidence() -> None:
    """Pollers (the e2e tests, the status page) assert the evidence as soon as they see a terminal state."""
    services, blobs, publisher, file_id, validated, _ = adapted_file()
    failed = validator_compensation_for(services, publisher, validated)
    seen: list[str] = []
    for _ in ("the claim", "the record that replaces it"):
        blobs.before_write(
            f"workflow/timeline/{file_id}/terminal.json",
            lambda: seen.append(str(list(blobs.list_names("failed", f"{file_id}/")))),
        )
    handle_validator_compensation(services, failed)
    assert len(seen) == 2 and "reason.json" in seen[1]
    assert_terminal_state(blobs, file_id, "failed")


def test_the_terminal_event_is_terminal_json_so_redeliveries_never_add_or_miss_one() -> None:
    """Pollers (e2e, the journey view) take a file as finished when its terminal event is there: it is
    terminal.json itself, so no crash can leave a state without its event, nor a second one."""
    services, blobs, _, file_id, _, adapted = adapted_file()
    handle_file_adapted(services, adapted)
    for count in (2, 3):
        assert handle_file_adapted(services, replace(adapted, delivery_count=count)).state == "skipped"

    terminal_events = [e["event"] for e in read_events(blobs, file_id) if e["event"] in TERMINAL_STATES]
    assert terminal_events == ["delivered"]
    assert not [n for n in blobs.list_names("workflow", f"timeline/{file_id}/events/") if "delivered" in n]
    assert_terminal_state(blobs, file_id, "delivered")


def test_a_terminal_event_is_read_once_however_many_redeliveries_see_it() -> None:
    services, blobs, _, _ = make_services()
    write_terminal(blobs, services.clock, "f.x.0000000a", "rejected", error_count=1)
    for _ in range(3):
        assert already_ended(services, "f.x.0000000a", "testing") is not None
    assert [e["event"] for e in read_events(blobs, "f.x.0000000a")] == ["rejected"]
    assert read_events(blobs, "f.x.0000000a")[0]["error_count"] == 1


def test_a_timeline_an_earlier_version_wrote_shows_its_terminal_event_once() -> None:
    # Earlier versions also wrote a copy of terminal.json as `events/<time>-<state>-terminal.json`.
    services, blobs, _, _ = make_services()
    write_terminal(blobs, services.clock, "f.x.0000000b", "rejected", error_count=2)
    copy = {"file_id": "f.x.0000000b", "event": "rejected", "occurred_at": "2026-11-20T08:00:00.000000Z",
            "error_count": 2}
    blobs.write("workflow", "timeline/f.x.0000000b/events/20261120T080000.000000Z-rejected-terminal.json",
                json.dumps(copy).encode())
    assert [e["event"] for e in read_events(blobs, "f.x.0000000b")] == ["rejected"]


def test_an_adaptor_redelivered_while_the_creator_commits_keeps_what_the_creator_needs() -> None:
    """The creator claimed `delivered` and crashed before recording it; an adaptor redelivery must not
    remove the staged document the creator's own redelivery reads again."""
    services, blobs, _, file_id, validated, adapted = adapted_file()
    blobs.fail_writes[f"workflow/timeline/{file_id}/terminal.json"] = 1
    with pytest.raises(StorageOutageError):
        handle_file_adapted(services, adapted)
    handle_file_validated(services, replace(validated, delivery_count=2))

    assert handle_file_adapted(services, replace(adapted, delivery_count=2)).state == "delivered"
    assert_terminal_state(blobs, file_id, "delivered")


def test_a_refusal_being_recorded_stops_the_creator_and_the_compensation() -> None:
    # A validator retry that judged the file otherwise (the reference table changed) claims `rejected`
    # as it records it; caught between its claim and its terminal state, neither other end may win.
    services, blobs, publisher, file_id, validated, adapted = adapted_file()
    assert claim_ending(blobs, services.clock, file_id, "rejected") == "rejected"

    assert handle_file_adapted(services, adapted).detail == "already rejected"
    assert not blobs.exists(OUTGOING_CONTAINER, f"acme-payroll/{file_id}.xml")
    failed = validator_compensation_for(services, publisher, validated)
    assert handle_validator_compensation(services, failed).detail == "already rejected"
    assert read_terminal(blobs, file_id) is None  # left to the validator, which records `rejected`


@pytest.mark.parametrize("recorded", [True, False], ids=["failed", "failing"])
def test_an_upload_ended_otherwise_before_its_first_read_gets_no_rejection_over_it(recorded: bool) -> None:
    """The poison path (or a give-up) ended the file, or is ending it, before the validator ever wrote
    `received`: a first attempt reads no state, so the refusal's own claim is what stops it."""
    services, blobs, _, _ = make_services()
    etag = blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))
    file_id = incoming_file_id(NAME, normalise_etag(etag))
    assert claim_ending(blobs, services.clock, file_id, "failed") == "failed"
    if recorded:
        write_terminal(blobs, services.clock, file_id, "failed", replacing="our claim",
                       failed_step="validator")

    outcome = handle_incoming_file(services, NAME, etag)

    assert outcome.state == "already_processed"
    assert not list(blobs.list_names("rejected", f"{file_id}/"))
    assert "received" in [event["event"] for event in read_events(blobs, file_id)]
    if recorded:
        assert (read_terminal(blobs, file_id) or {}).get("state") == "failed"
    else:  # the compensation at work finishes it, the upload included
        assert read_terminal(blobs, file_id) is None and blobs.exists(INCOMING_CONTAINER, NAME)


def test_a_retry_of_a_rejected_upload_rewrites_nothing() -> None:
    services, blobs, publisher, _ = make_services()
    etag = blobs.put(INCOMING_CONTAINER, NAME, invalid_csv(FAKE_EXECUTION_DATE))
    file_id = incoming_file_id(NAME, normalise_etag(etag))
    publisher.fail_next = 1  # file.ended refused: the attempt fails after recording, before its delete
    with pytest.raises(ConnectionError):
        handle_incoming_file(services, NAME, etag)
    report = blobs.read("rejected", f"{file_id}/report.json")

    assert handle_incoming_file(services, NAME, etag).state == "already_processed"
    assert blobs.read("rejected", f"{file_id}/report.json") == report
    assert [e["event"] for e in read_events(blobs, file_id)] == ["received", "rejected", "step_failed"]


def test_a_copy_of_file_validated_that_slipped_past_duplicate_detection_pays_nothing_twice() -> None:
    """A first delivery reads no state in the adaptor, so a late copy is adapted again; the creator's own
    check is what keeps the delivered file's output from being written a second time."""
    services, blobs, publisher, _ = make_services()  # inline: a claim-checked file reads its state first
    blobs.put(INCOMING_CONTAINER, NAME, payment_csv(3, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, NAME).file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    handle_file_validated(services, validated)
    handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))
    output = f"acme-payroll/{file_id}.xml"
    blobs.delete(OUTGOING_CONTAINER, output)  # the bank took the file

    handle_file_validated(services, replace(validated, delivery_count=1))
    assert handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE)).state == "skipped"

    assert not blobs.exists(OUTGOING_CONTAINER, output)
    assert (read_terminal(blobs, file_id) or {}).get("state") == "delivered"
    assert not list(blobs.list_names("workflow", f"staging/{file_id}/"))
