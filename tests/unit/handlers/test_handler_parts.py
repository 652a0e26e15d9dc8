"""The small pieces the scenarios rely on: fault plans, settings, claim-check integrity,
the registry's ownership rule and the once-only terminal state."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

from shared.contracts import BlobReference
from shared.domain.ndjson import ndjson_line
from shared.handlers import registry
from shared.handlers.adaptor import handle_file_validated
from shared.handlers.claimcheck import ClaimCheckError, RecordSpool, iter_records
from shared.handlers.creator import handle_file_adapted
from shared.handlers.faults import FaultPlan, InjectedFault
from shared.handlers.identity import incoming_file_id, normalise_etag
from shared.handlers.timeline import (
    annotate_terminal,
    claim_ending,
    ending_state,
    read_events,
    read_terminal,
    write_terminal,
)
from shared.handlers.validator import handle_incoming_file
from shared.settings import ConfigurationError, Settings, blob_trigger_source
from shared.streams import CHUNK, HashTally, gunzip, read_ahead, stream_from_chunks
from shared.topology import FILE_ADAPTED_QUEUE, FILE_VALIDATED_QUEUE, INCOMING_CONTAINER, WORKFLOW_CONTAINER
from tests.fakes import FAKE_EXECUTION_DATE, FakeBlobStore, FakeClock, make_services
from tests.samplefiles import payment_csv
from tests.unit.handlers.driver import deliver

pytestmark = pytest.mark.unit


def test_fault_plan_matches_step_and_blob_pattern() -> None:
    plan = FaultPlan.parse("adaptor=acme-payroll/boom-*.csv; creator=*/x.csv")
    with pytest.raises(
        InjectedFault, match=r"adaptor=acme-payroll/boom-\*\.csv matches"
    ):
        plan.check("adaptor", "acme-payroll/boom-1.csv")
    plan.check("adaptor", "acme-payroll/fine.csv")
    plan.check("validator", "acme-payroll/boom-1.csv")
    assert FaultPlan.parse("") == FaultPlan()


@pytest.mark.parametrize("raw", ["adaptor", "router=*.csv", "creator=", "=x"])
def test_fault_plan_refuses_bad_entries_naming_the_setting(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="PIPELINE_FAULTS has an invalid entry"):
        FaultPlan.parse(raw)


def test_settings_source_switch_and_cache_seconds() -> None:
    assert blob_trigger_source({}) == "LogsAndContainerScan"
    assert blob_trigger_source({"BLOB_TRIGGER_SOURCE": "eventgrid"}) == "EventGrid"
    with pytest.raises(ConfigurationError, match="BLOB_TRIGGER_SOURCE='x' is invalid"):
        blob_trigger_source({"BLOB_TRIGGER_SOURCE": "x"})
    assert Settings.from_env({"REFERENCE_CACHE_SECONDS": "5"}).reference_cache_seconds == 5
    with pytest.raises(ConfigurationError, match="REFERENCE_CACHE_SECONDS='soon' is invalid"):
        _ = Settings.from_env({"REFERENCE_CACHE_SECONDS": "soon"}).reference_cache_seconds


def test_file_id_ignores_etag_quoting_and_handles_blobs_outside_a_sender_folder() -> None:
    assert incoming_file_id("acme-payroll/a.csv", '"0x8D1"') == incoming_file_id(
        "acme-payroll/a.csv", "0x8D1"
    )
    assert incoming_file_id("acme-payroll/a.csv", "0x8D1") != incoming_file_id("acme-payroll/a.csv", "0x8D2")
    assert incoming_file_id("loose.csv", "0x1").startswith("unknown-sender.loose.")
    assert normalise_etag('W/"abc"') == "abc"


def _staged(blobs: FakeBlobStore, count: int = 50) -> BlobReference:
    with RecordSpool(blobs, "staging/f/validated.ndjson.gz", threshold=1024) as spool:
        for n in range(count):
            spool.add({"n": n, "pad": "x" * 100})
        reference = spool.to_payload()
    assert isinstance(reference, BlobReference)
    return reference


def test_claim_check_detects_a_replaced_staging_blob() -> None:
    blobs = FakeBlobStore()
    reference = _staged(blobs)
    assert [r["n"] for r in iter_records(blobs, reference)] == list(range(50))
    blobs.write(WORKFLOW_CONTAINER, reference.name, gzip.compress(b'{"n": 0}\n', mtime=0))
    with pytest.raises(ClaimCheckError, match="does not match its reference"):
        list(iter_records(blobs, reference))
    blobs.delete(WORKFLOW_CONTAINER, reference.name)
    with pytest.raises(ClaimCheckError, match="not found"):
        list(iter_records(blobs, reference))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda stored: b'{"n": 0}\n', "not a valid gzip stream"),
        (lambda stored: stored[: len(stored) // 2], "truncated"),
        (lambda stored: stored + b"\x00", "bytes follow the end"),
    ],
    ids=["not-gzip", "truncated", "trailing-bytes"],
)
def test_a_damaged_compressed_staging_blob_is_corrupt_not_read(damage: Any, reason: str) -> None:
    blobs = FakeBlobStore()
    reference = _staged(blobs)
    blobs.write(WORKFLOW_CONTAINER, reference.name, damage(blobs.read(WORKFLOW_CONTAINER, reference.name)))
    with pytest.raises(ClaimCheckError, match=f"is corrupt: .*{reason}"):
        list(iter_records(blobs, reference))


def test_a_plain_ndjson_blob_of_an_earlier_version_is_still_read() -> None:
    """Versions before the gzip claim-check staged plain NDJSON and wrote no `encoding`."""
    blobs = FakeBlobStore()
    lines = b"".join(ndjson_line({"n": n}) for n in range(3))
    blobs.write(WORKFLOW_CONTAINER, "staging/f/validated.ndjson", lines)
    reference = BlobReference(container=WORKFLOW_CONTAINER, name="staging/f/validated.ndjson",
                              size=len(lines), sha256=hashlib.sha256(lines).hexdigest())  # fmt: skip
    assert reference.encoding == "identity"
    assert [r["n"] for r in iter_records(blobs, reference)] == [0, 1, 2]


def test_a_staged_payload_is_every_line_in_order_with_its_size_and_sha256() -> None:
    """Lines are written in blocks: a payload of several blocks is still every record, byte for byte,
    stored as one gzip stream whose size and sha256 the reference carries."""
    blobs = FakeBlobStore()
    records = [{"n": n, "pad": "é" * 300} for n in range(2000)]  # ~1.2 MB: several blocks, spilled to disk
    with RecordSpool(blobs, "staging/f/validated.ndjson.gz", threshold=192 * 1024) as spool:
        for record in records:
            spool.add(record)
        reference = spool.to_payload()
    assert isinstance(reference, BlobReference)
    assert reference.encoding == "gzip"
    stored = blobs.read(WORKFLOW_CONTAINER, reference.name)
    assert gzip.decompress(stored) == b"".join(ndjson_line(r) for r in records)
    assert (reference.size, reference.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert list(iter_records(blobs, reference)) == records


def test_the_same_records_stage_the_same_bytes() -> None:
    """A redelivery stages the blob its first run staged (block ids name their content)."""
    first, second = FakeBlobStore(), FakeBlobStore()
    one, two = _staged(first, 3000), _staged(second, 3000)
    assert one == two
    assert first.read(WORKFLOW_CONTAINER, one.name) == second.read(WORKFLOW_CONTAINER, two.name)


def _writers(blobs: FakeBlobStore) -> list[tuple[str, str, str]]:
    """Each staged writer the handlers opened: container, the name's last part, and how it ended."""
    return [(w.container, w.name.rsplit("/", 1)[-1], w.state) for w in blobs.writers]


def test_an_accepted_big_file_commits_its_staged_archive_records_and_output() -> None:
    services, blobs, publisher, _ = make_services(threshold=1024)
    blobs.put(INCOMING_CONTAINER, "acme-payroll/big.csv", payment_csv(40, execution_date=FAKE_EXECUTION_DATE))
    file_id = handle_incoming_file(services, "acme-payroll/big.csv").file_id
    handle_file_validated(services, deliver(publisher, FILE_VALIDATED_QUEUE))
    assert handle_file_adapted(services, deliver(publisher, FILE_ADAPTED_QUEUE)).state == "delivered"
    assert sorted(_writers(blobs)) == [
        ("outgoing", f"{file_id}.xml", "committed"), ("workflow", "big.csv", "committed"),
        ("workflow", "canonical.ndjson.gz", "committed"), ("workflow", "ended-issues.ndjson.gz", "committed"),
        ("workflow", "validated.ndjson.gz", "committed"),
    ]  # fmt: skip


def test_a_rejected_big_file_stages_nothing_anyone_can_see() -> None:
    """Its archive was staged while it was read; the rejection aborts it."""
    services, blobs, _, _ = make_services(threshold=1024)
    rows = payment_csv(40, execution_date=FAKE_EXECUTION_DATE).splitlines(keepends=True)
    rows[-1] = rows[-1].replace(b"125.50", b"12,5")  # the last row is invalid
    blobs.put(INCOMING_CONTAINER, "acme-payroll/bad.csv", b"".join(rows))
    assert handle_incoming_file(services, "acme-payroll/bad.csv").state == "rejected"
    # (its 39 good records stayed in memory: a spool starts a blob at SPOOL_BUFFER bytes)
    assert sorted(_writers(blobs)) == [("workflow", "bad.csv", "aborted"),
                                       ("workflow", "ended-issues.ndjson.gz", "committed")]  # fmt: skip
    assert not list(blobs.list_names(WORKFLOW_CONTAINER, "archive/"))
    assert not list(blobs.list_names(WORKFLOW_CONTAINER, "staging/"))


def test_registry_claim_release_only_by_the_owner() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    args = {"sender": "s", "fingerprint": "a" * 64}
    assert registry.claim(blobs, clock, **args, file_id="f1", blob_name="s/1.csv") is None
    assert registry.claim(blobs, clock, **args, file_id="f1", blob_name="s/1.csv") is None  # redelivery
    assert registry.claim(blobs, clock, **args, file_id="f2", blob_name="s/2.csv") == "f1"
    assert registry.release(blobs, **args, file_id="f2") is False
    assert registry.release(blobs, **args, file_id="f1") is True
    assert registry.release(blobs, **args, file_id="f1") is False


def test_terminal_state_is_recorded_once() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    assert write_terminal(blobs, clock, "f", "delivered", output="x") is True
    assert write_terminal(blobs, clock, "f", "failed") is False
    assert (read_terminal(blobs, "f") or {})["state"] == "delivered"
    assert [e["event"] for e in read_events(blobs, "f")] == ["delivered"]
    with pytest.raises(ValueError, match="has state 'done'; expected one of delivered, rejected"):
        write_terminal(blobs, clock, "g", "done")  # type: ignore[arg-type]  # what mypy refuses too


def test_streams_hash_everything_and_chunk_reader_is_exact() -> None:
    data = bytes(range(256)) * 5000
    tally = HashTally(io.BytesIO(data))
    tally.reader.read(10)
    tally.drain()
    assert (tally.hexdigest, tally.size) == (hashlib.sha256(data).hexdigest(), len(data))
    chunks = [data[i : i + 777] for i in range(0, len(data), 777)]
    assert stream_from_chunks(iter(chunks)).read() == data
    assert json.loads(stream_from_chunks([b'{"a"', b":1}"]).read()) == {"a": 1}


def test_read_ahead_keeps_order_raises_where_the_error_was_and_stops_when_closed() -> None:
    fetched: list[int] = []

    def chunks(count: int, fail_at: int | None = None, size: int = 1000) -> Iterator[bytes]:
        for n in range(count):
            if n == fail_at:
                raise ConnectionError(f"chunk {n} failed")
            fetched.append(n)
            yield bytes([n]) * size

    assert stream_from_chunks(read_ahead(chunks(50))).read() == b"".join(bytes([n]) * 1000 for n in range(50))
    reader = read_ahead(chunks(10, fail_at=3))
    assert [next(reader) for _ in range(3)] == [bytes([n]) * 1000 for n in range(3)]
    with pytest.raises(ConnectionError, match="chunk 3 failed"):
        next(reader)

    fetched.clear()
    stream = stream_from_chunks(read_ahead(chunks(20, size=2 * 1024 * 1024)))  # chunks bigger than reads
    stream.read(10)
    stream.close()  # closes the read-ahead: its thread ends, after at most two chunks more
    time.sleep(0.5)
    assert len(fetched) <= 3 and "read-ahead" not in {thread.name for thread in threading.enumerate()}


def test_annotating_a_terminal_state_adds_details_but_never_changes_the_state() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    assert annotate_terminal(blobs, "f", "failed", needs_attention=True) is False  # nothing recorded yet
    write_terminal(blobs, clock, "f", "failed", reason="r")
    assert annotate_terminal(blobs, "f", "failed", needs_attention=True) is True
    terminal = read_terminal(blobs, "f") or {}
    assert (terminal["state"], terminal["needs_attention"], terminal["reason"]) == ("failed", True, "r")
    write_terminal(blobs, clock, "g", "delivered")
    assert annotate_terminal(blobs, "g", "failed", needs_attention=True) is False


def test_the_ending_claim_has_one_winner_and_a_give_up_records_over_an_unfinished_claim() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    assert ending_state(blobs, "f") is None
    assert claim_ending(blobs, clock, "f", "failed") == "failed"
    assert claim_ending(blobs, clock, "f", "rejected") == "failed"
    assert ending_state(blobs, "f") == "failed"
    assert read_terminal(blobs, "f") is None  # claimed, not ended
    # The creator records only where nothing is claimed: it loses to the claim.
    assert write_terminal(blobs, clock, "f", "delivered", replacing="nothing", output="x") is False
    write_terminal(blobs, clock, "f", "failed", reason="gave up")  # a failure handler that gave up
    assert (read_terminal(blobs, "f") or {}).get("reason") == "gave up"
    assert claim_ending(blobs, clock, "f", "delivered") == "failed"
    assert write_terminal(blobs, clock, "f", "failed", replacing="our claim") is False  # recorded once


def test_a_claim_and_its_record_are_one_blob_so_one_read_tells_the_ending() -> None:
    blobs, clock = FakeBlobStore(), FakeClock()
    write_terminal(blobs, clock, "r", "rejected", report="rejected/r/report.json", error_count=1)
    assert claim_ending(blobs, clock, "r", "failed") == "rejected"
    assert ending_state(blobs, "r") == "rejected"
    # The creator's record is its claim: one write, nothing claimed beside it.
    write_terminal(blobs, clock, "d", "delivered", replacing="nothing", output="outgoing/s/d.xml")
    assert list(blobs.list_names(WORKFLOW_CONTAINER, "timeline/d/")) == ["timeline/d/terminal.json"]
    # A claim replaced by its owner's record (If-Match on the claim's version).
    assert claim_ending(blobs, clock, "c", "failed") == "failed"
    assert write_terminal(blobs, clock, "c", "failed", replacing="our claim", failed_step="adaptor")
    assert (read_terminal(blobs, "c") or {}).get("failed_step") == "adaptor"


def test_gunzip_inflates_a_stream_in_bounded_memory() -> None:
    """64 MiB of zeros compress to ~64 KB; reading them back holds a few CHUNKs at a time, never the whole."""
    data = bytes(64 * 1024 * 1024)
    compressed = gzip.compress(data, compresslevel=1, mtime=0)
    del data
    tracemalloc.start()
    try:
        stream = gunzip(io.BytesIO(compressed))
        total = sum(len(piece) for piece in iter(lambda: stream.read(CHUNK), b""))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 64 * 1024 * 1024
    assert peak < 8 * CHUNK  # ~7 CHUNKs of copies in the buffers; unbounded, it would be the whole 64
