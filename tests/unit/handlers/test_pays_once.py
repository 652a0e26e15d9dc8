"""Pays once: a payment id a sender already delivered (or has in flight) is refused in any later file,
whatever the interleaving of at-least-once deliveries, and a file that ends without delivery holds no
claim. Each scenario stages one hazard with the fakes' hooks and checks the terminal-state invariant."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace
from typing import cast

import pytest

from ops.timeline_text import format_timeline
from shared.domain.claim_keys import BUCKETS, block_key, partition_key
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.compensation import handle_validator_compensation
from shared.handlers.creator import handle_file_adapted
from shared.handlers.deadletter import handle_dead_lettered
from shared.handlers.inbound import Delivery
from shared.handlers.payment_claims import ClaimRequest, PaymentIds, claim_payments
from shared.handlers.poison import handle_blob_poison
from shared.handlers.status import file_status
from shared.handlers.timeline import read_terminal, write_terminal
from shared.handlers.validator import handle_incoming_file
from shared.services import Services
from shared.topology import (
    FILE_ADAPTED_QUEUE,
    FILE_VALIDATED_QUEUE,
    INCOMING_CONTAINER,
    REFERENCE_CONTAINER,
    REFERENCE_TABLE_BLOB,
    REJECTED_CONTAINER,
)
from tests.fakes import (
    FAKE_EXECUTION_DATE,
    SAMPLE_REFERENCE,
    FakeBlobStore,
    FakeClock,
    FakePaymentIndex,
    FakePublisher,
    StorageOutageError,
    make_services,
)
from tests.invariants import assert_terminal_state
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver, deliver_failed
from tests.unit.handlers.test_failure_scenarios import poison_notice

pytestmark = pytest.mark.unit
Env = tuple[Services, FakeBlobStore, FakePublisher, FakePaymentIndex]


def reference(window_days: int | None = None, past_days: int = 0) -> bytes:
    table = json.loads(SAMPLE_REFERENCE.read_bytes())
    if window_days is not None:
        table["senders"]["acme-payroll"]["duplicate_window_days"] = window_days
    table["execution_window_days"]["past"] = past_days
    return json.dumps(table).encode()


def env(window_days: int | None = None) -> Env:
    services, blobs, publisher, _ = make_services(reference=reference(window_days))
    return services, blobs, publisher, cast(FakePaymentIndex, services.payments)


def rows(tag: str, count: int, first: int = 1) -> bytes:
    """`count` payments `<tag>-<n>` from number `first`, as a valid acme-payroll file."""
    whole = payment_csv(first + count - 1, tag=tag, execution_date=FAKE_EXECUTION_DATE)
    header, *lines = whole.decode().splitlines()
    return ("\n".join([header, *lines[first - 1:]]) + "\n").encode()


def batches(ids: list[str]) -> int:
    """How many transactions claim these ids: ceil(blocks / 100) in each of the sender's partitions."""
    blocks = {(partition_key("acme-payroll", pid), block_key(pid)) for pid in ids}
    per_partition = Counter(partition for partition, _ in blocks)
    return sum(-(-count // FakePaymentIndex.MAX_BATCH) for count in per_partition.values())


def drop(env_: Env, name: str, data: bytes) -> str:
    services, blobs, _, _ = env_
    blobs.put(INCOMING_CONTAINER, name, data)
    return handle_incoming_file(services, name).file_id


def deliver_all(env_: Env) -> None:
    services, _, publisher, _ = env_
    while publisher.to(FILE_VALIDATED_QUEUE):
        handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    while publisher.to(FILE_ADAPTED_QUEUE):
        handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE))


def report(blobs: FakeBlobStore, file_id: str) -> dict[str, object]:
    return cast(dict[str, object], json.loads(blobs.read(REJECTED_CONTAINER, f"{file_id}/report.json")))


def test_a_delivered_payment_id_in_a_later_file_rejects_that_row_naming_the_earlier_file() -> None:
    e = env()
    first = drop(e, "acme-payroll/week-1.csv", rows("PAY", 3))
    deliver_all(e)
    second = drop(e, "acme-payroll/week-2.csv", rows("PAY", 3, first=3))  # PAY-00003 again, then 4 and 5

    terminal = assert_terminal_state(e[1], second, "rejected")
    found = report(e[1], second)
    errors = cast(list[dict[str, object]], found["errors"])
    assert [(x["row"], x["column"], x["code"]) for x in errors] == [(2, "payment_id", "duplicate_payment")]
    assert first in str(errors[0]["message"]) and "'PAY-00003'" in str(errors[0]["message"])
    assert "acme-payroll/week-1.csv" in str(errors[0]["message"])
    assert found["duplicate_payments"] == [{
        "row": 2, "payment_id": "PAY-00003", "earlier_file": first,
        "earlier_blob_name": "acme-payroll/week-1.csv", "earlier_state": "delivered",
        "since": cast(dict[str, str], read_terminal(e[1], first))["occurred_at"]}]
    assert terminal["duplicate_of"] == [first]
    assert e[3].owned_by(second) == [] and e[3].owned_by(first) == ["PAY-00001", "PAY-00002", "PAY-00003"]


def test_the_corrected_file_without_the_duplicate_row_goes_through() -> None:
    e = env()
    drop(e, "acme-payroll/week-1.csv", rows("PAY", 3))
    deliver_all(e)
    drop(e, "acme-payroll/week-2.csv", rows("PAY", 3, first=3))
    fixed = drop(e, "acme-payroll/week-2-fixed.csv", rows("PAY", 2, first=4))
    deliver_all(e)
    assert_terminal_state(e[1], fixed, "delivered")


def test_a_payment_in_flight_in_another_file_is_refused_as_being_processed() -> None:
    e = env()
    first = drop(e, "acme-payroll/a.csv", rows("PAY", 2))  # validated, not yet adapted
    second = drop(e, "acme-payroll/b.csv", rows("PAY", 2, first=2))

    assert_terminal_state(e[1], second, "rejected")
    message = str(cast(list[dict[str, object]], report(e[1], second)["errors"])[0]["message"])
    assert first in message and "being processed" in message
    deliver_all(e)
    assert_terminal_state(e[1], first, "delivered")


def test_outside_the_window_the_same_id_may_be_paid_again_and_zero_days_turns_the_check_off() -> None:
    e = env(window_days=30)
    drop(e, "acme-payroll/old.csv", rows("PAY", 2))
    deliver_all(e)
    cast(FakeClock, e[0].clock).advance(days=31)
    # The files' execution date is now in the past: let the window accept it, keep the 30 days.
    e[1].put(REFERENCE_CONTAINER, REFERENCE_TABLE_BLOB, reference(window_days=30, past_days=400))
    again = drop(e, "acme-payroll/new.csv", rows("PAY", 2, first=2))
    deliver_all(e)
    assert_terminal_state(e[1], again, "delivered")
    assert e[3].owned_by(again) == ["PAY-00002", "PAY-00003"]  # PAY-00002 taken over

    off = env(window_days=0)
    drop(off, "acme-payroll/a.csv", rows("PAY", 2))
    deliver_all(off)
    b = drop(off, "acme-payroll/b.csv", rows("PAY", 2, first=2))
    deliver_all(off)
    assert_terminal_state(off[1], b, "delivered")
    assert off[3].claims == {} and off[3].requests == 0


def test_two_overlapping_files_at_once_are_never_both_validated() -> None:
    """B runs completely while A's claims are about to commit: A must then see B's claims."""
    e = env()
    e[3].before_claim(lambda: drop(e, "acme-payroll/b.csv", rows("PAY", 3, first=2)))
    a = drop(e, "acme-payroll/a.csv", rows("PAY", 3))
    b = next(fid for fid in _file_ids(e[1]) if fid != a)
    deliver_all(e)

    assert_terminal_state(e[1], b, "delivered")
    assert_terminal_state(e[1], a, "rejected")
    assert b in str(report(e[1], a)["duplicate_of"])


def test_a_validator_redelivered_after_its_claims_committed_carries_on_with_its_own_claims() -> None:
    e = env()
    name = "acme-payroll/crash.csv"
    etag = e[1].put(INCOMING_CONTAINER, name, rows("PAY", 250))
    e[3].fail_claims = 1  # the host dies right after the first batch committed
    with pytest.raises(StorageOutageError):
        handle_incoming_file(e[0], name, etag)
    before = e[3].requests

    outcome = handle_incoming_file(e[0], name, etag)

    assert outcome.state == "validated"
    # One request a batch, and for the batch already committed a range read that finds it all ours.
    assert e[3].requests - before == batches([f"PAY-{n:05d}" for n in range(1, 251)]) + 1
    assert len(e[3].owned_by(outcome.file_id)) == 250
    deliver_all(e)
    assert_terminal_state(e[1], outcome.file_id, "delivered")


def test_a_validator_that_crashes_after_claiming_until_poison_releases_its_claims() -> None:
    e = env()
    services, blobs, publisher, index = e
    name = "acme-payroll/doomed.csv"
    etag = blobs.put(INCOMING_CONTAINER, name, rows("PAY", 3))
    blobs.fail_writes["workflow/archive/*"] = 5  # claimed every time, then storage refuses the archive
    for _ in range(5):
        with pytest.raises(StorageOutageError):
            handle_incoming_file(services, name, etag)
    notice = Delivery(body=poison_notice(name, etag.strip('"')), message_id="q")
    outcome = handle_blob_poison(services, notice)
    assert index.owned_by(outcome.file_id) == ["PAY-00001", "PAY-00002", "PAY-00003"]

    handle_validator_compensation(services, deliver_failed(publisher, "validator"))

    assert_terminal_state(blobs, outcome.file_id, "failed")
    assert index.owned_by(outcome.file_id) == []
    again = drop(e, "acme-payroll/resent.csv", rows("PAY", 3))
    deliver_all(e)
    assert_terminal_state(blobs, again, "delivered")


def test_a_file_that_fails_downstream_releases_its_payments_through_compensation() -> None:
    services, blobs, publisher, _ = make_services(faults="adaptor=acme-payroll/boom*")
    index = cast(FakePaymentIndex, services.payments)
    blobs.put(INCOMING_CONTAINER, "acme-payroll/boom.csv", rows("PAY", 2))
    failed_id = handle_incoming_file(services, "acme-payroll/boom.csv").file_id
    validated = deliver(publisher, FILE_VALIDATED_QUEUE)
    dead = replace(validated, delivery_count=5, dead_letter_reason="MaxDeliveryCountExceeded")
    handle_dead_lettered(services, dead, FILE_VALIDATED_QUEUE)
    handle_validator_compensation(services, deliver_failed(publisher, "validator"))

    assert_terminal_state(blobs, failed_id, "failed")
    assert index.owned_by(failed_id) == []
    blobs.put(INCOMING_CONTAINER, "acme-payroll/retry.csv", rows("PAY", 3))
    assert handle_incoming_file(services, "acme-payroll/retry.csv").state == "validated"


def test_a_crash_after_finding_a_duplicate_is_rejected_again_and_leaves_no_claim() -> None:
    e = env()
    drop(e, "acme-payroll/first.csv", rows("PAY", 1))
    deliver_all(e)
    name = "acme-payroll/second.csv"
    etag = e[1].put(INCOMING_CONTAINER, name, rows("PAY", 150))  # PAY-00001 is in the first batch only
    e[1].fail_writes["rejected/*"] = 1  # the host dies while writing the rejection
    with pytest.raises(StorageOutageError):
        handle_incoming_file(e[0], name, etag)

    outcome = handle_incoming_file(e[0], name, etag)

    assert outcome.state == "rejected"
    assert_terminal_state(e[1], outcome.file_id, "rejected")
    assert e[3].owned_by(outcome.file_id) == []
    assert len(cast(list[object], report(e[1], outcome.file_id)["errors"])) == 1


def test_a_claim_left_by_a_file_that_ended_failed_blocks_nothing() -> None:
    """A compensation that gave up (needs attention) may leave claims behind: its file ended failed."""
    e = env()
    first = drop(e, "acme-payroll/first.csv", rows("PAY", 2))
    e[1].delete("workflow", f"timeline/{first}/terminal.json")
    write_terminal(e[1], e[0].clock, first, "failed", needs_attention=True, reason="test")
    e[2].sent.clear()

    second = drop(e, "acme-payroll/second.csv", rows("PAY", 2, first=2))

    assert read_terminal(e[1], second) is None and e[3].owned_by(second) == ["PAY-00002", "PAY-00003"]


def test_a_hundred_thousand_row_file_claims_in_a_bounded_number_of_requests() -> None:
    """The cost stated in docs/architecture.md: one transaction per 100 blocks of a partition, so at most
    rows/100/100 + 16 for sequential ids (a block holds a run of 100); on the fake that counts requests as
    the Table adapter sends them."""
    e = env()
    payments = [(f"ID-{n:06d}", n + 1) for n in range(100_000)]
    request = ClaimRequest("acme-payroll", "acme-payroll.big.0000000a", "acme-payroll/big.csv", 90)
    assert claim_payments(e[0], request, payments) == []
    assert e[3].requests == batches([pid for pid, _ in payments]) <= 10 + BUCKETS
    assert e[3].requests == BUCKETS  # 1,000 blocks of 100 sequential references: one transaction a partition
    small = env()
    assert claim_payments(small[0], request, payments[1200:1300]) == [] and small[3].requests == 1


def test_ids_spilled_in_sorted_runs_claim_as_a_list_does_and_name_their_rows() -> None:
    # A big file's ids are kept in claim order on disk (runs of `run`), not as a list in memory.
    shuffled = [(f"ID-{n:05d}", n + 1) for n in range(3_000)]
    random.Random(7).shuffle(shuffled)
    spilled, listed = env(), env()
    request = ClaimRequest("acme-payroll", "acme-payroll.a.0000000a", "acme-payroll/a.csv", 90)
    ids = PaymentIds("acme-payroll", run=700)
    for pid, row in shuffled:
        ids.add(pid, row)
    assert claim_payments(spilled[0], request, ids) == []
    assert claim_payments(listed[0], request, shuffled) == []
    assert spilled[3].requests == listed[3].requests
    assert spilled[3].owned_by("acme-payroll.a.0000000a") == listed[3].owned_by("acme-payroll.a.0000000a")
    ids.close()

    later = ClaimRequest("acme-payroll", "acme-payroll.b.0000000b", "acme-payroll/b.csv", 90)
    again = PaymentIds("acme-payroll", run=50)
    for pid, row in [("ID-02999", 1), ("NEW-1", 2), ("ID-00000", 3)]:
        again.add(pid, row)
    found = claim_payments(spilled[0], later, again)
    assert sorted((d.row, d.payment_id, d.earlier_file) for d in found) == [
        (1, "ID-02999", "acme-payroll.a.0000000a"), (3, "ID-00000", "acme-payroll.a.0000000a")
    ]
    again.close()


def _file_ids(blobs: FakeBlobStore) -> set[str]:
    return {name.split("/")[1] for name in blobs.list_names("workflow", "timeline/")}


@pytest.mark.parametrize("replacement", [b"", None], ids=["overwritten", "deleted"])
def test_a_version_replaced_while_it_is_read_is_superseded_and_its_successor_processed(
    replacement: bytes | None,
) -> None:
    """The policy: the version read to its end is the one processed. One replaced (or deleted) mid-read
    was not read, keeps nothing and ends `superseded`; the new version is a file of its own, and any
    payment it shares with an earlier file is caught by the payment check."""
    e = env()
    name = "acme-payroll/overwritten.csv"
    etag = e[1].put(INCOMING_CONTAINER, name, rows("PAY", 30))
    newer = rows("PAY", 2, first=40) if replacement is not None else None
    e[1].replace_while_reading[(INCOMING_CONTAINER, name)] = newer

    old = handle_incoming_file(e[0], name, etag)

    assert old.state == "superseded"
    status = file_status(e[1], old.file_id)
    assert status is not None and status["state"] == "superseded"
    assert [ev["event"] for ev in status["events"]] == ["received", "superseded"]
    assert e[3].owned_by(old.file_id) == [] and e[2].sent == [] and not list(e[1].list_names("rejected"))
    if newer is not None:
        new = handle_incoming_file(e[0], name)
        deliver_all(e)
        assert_terminal_state(e[1], new.file_id, "delivered")


def test_the_status_view_names_each_payment_with_the_earlier_file() -> None:
    e = env()
    first = drop(e, "acme-payroll/week-1.csv", rows("PAY", 3))
    deliver_all(e)
    second = drop(e, "acme-payroll/week-2.csv", rows("PAY", 3, first=2))
    copy = drop(e, "acme-payroll/week-1-again.csv", rows("PAY", 3).replace(b"\n", b"\r\n"))

    status = file_status(e[1], second)
    assert status is not None
    shown = format_timeline(status, report(e[1], second))
    assert "2 payment(s) already held by an earlier file" in shown
    for payment_id in ("PAY-00002", "PAY-00003"):
        line = next(line for line in shown.splitlines() if payment_id in line)
        assert f"delivered in {first} (incoming/acme-payroll/week-1.csv)" in line
    duplicate = file_status(e[1], copy)
    assert duplicate is not None and f"duplicate of: {first}" in format_timeline(duplicate)
