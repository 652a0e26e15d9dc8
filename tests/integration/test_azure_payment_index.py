"""The payment index on a real Azurite Table endpoint, through azure-data-tables as the app builds it.

The same behaviour the fake promises: a batch commits atomically with its record, a takeover needs the
version read, a release deletes only what still names the file, and racing files never share an id.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from localdev.stack.azurite import AzuriteProcess
from shared.adapters.azure_table import AzureTablePaymentIndex
from shared.adapters.connections import table_service_client
from shared.ports import PaymentClaim

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def fresh_index(azurite: AzuriteProcess, fast: bool) -> AzureTablePaymentIndex:
    service = table_service_client("PaymentsStorage", {"PaymentsStorage": azurite.connection_string})
    return AzureTablePaymentIndex(service, table=f"claims{uuid.uuid4().hex[:12]}", fast_batches=fast)


@pytest.fixture(params=[True, False], ids=["fast-batches", "sdk-batches"])
def index(azurite: AzuriteProcess, request: pytest.FixtureRequest) -> AzureTablePaymentIndex:
    """A fresh table per test (created by the adapter on its first claim, as on a new account), written
    through the fast path and through the SDK's own `submit_transaction`: the same behaviour."""
    return fresh_index(azurite, fast=bool(request.param))


def claims(file_id: str, *ids: str) -> list[PaymentClaim]:
    return [PaymentClaim(pid, file_id, f"s/{file_id}.csv", NOW) for pid in ids]


def test_a_batch_commits_with_its_record_and_reads_back(index: AzureTablePaymentIndex) -> None:
    assert index.batches_done("s", "f1") == set() and index.existing("s", ["A"]) == {}  # no table yet
    assert index.claim("s", "f1", 0, claims("f1", "A", "B/1", "C?x"), ())
    found = index.existing("s", ["A", "B/1", "C?x", "D"])
    assert {pid: c.file_id for pid, c in found.items()} == {"A": "f1", "B/1": "f1", "C?x": "f1"}
    assert found["A"].claimed_at == NOW and found["A"].version
    assert index.batches_done("s", "f1") == {0} and index.batches_done("s", "f2") == set()


def test_a_batch_meeting_one_claim_writes_nothing(index: AzureTablePaymentIndex) -> None:
    assert index.claim("s", "f1", 0, claims("f1", "B"), ())
    assert not index.claim("s", "f2", 0, claims("f2", "A", "B", "C"), ())
    assert set(index.existing("s", ["A", "B", "C"])) == {"B"}
    assert index.batches_done("s", "f2") == set()


def test_a_takeover_needs_the_version_read(index: AzureTablePaymentIndex) -> None:
    index.claim("s", "old", 0, claims("old", "A"), ())
    stale = index.existing("s", ["A"])["A"]
    mine = PaymentClaim("A", "new", "s/new.csv", NOW, stale.version)
    assert index.claim("s", "new", 0, claims("new", "B"), [mine])
    assert not index.claim("s", "third", 0, (), [PaymentClaim("A", "third", "s/t.csv", NOW, stale.version)])
    assert index.existing("s", ["A"])["A"].file_id == "new"


def test_release_deletes_only_what_still_names_the_file(index: AzureTablePaymentIndex) -> None:
    index.claim("s", "f1", 0, claims("f1", "A", "B"), ())
    index.claim("s", "f1", 1, claims("f1", "C"), ())
    index.claim("other", "f1x", 0, claims("f1x", "A"), ())
    stale = index.existing("s", ["B"])["B"]
    index.claim("s", "f2", 0, (), [PaymentClaim("B", "f2", "s/f2.csv", NOW, stale.version)])

    assert index.release("s", "f1") == 2
    assert {pid: c.file_id for pid, c in index.existing("s", ["A", "B", "C"]).items()} == {"B": "f2"}
    assert index.batches_done("s", "f1") == set() and index.release("s", "f1") == 0
    assert set(index.existing("other", ["A"])) == {"A"}


def test_racing_files_never_share_a_payment_id(index: AzureTablePaymentIndex) -> None:
    index.claim("s", "warm", 0, claims("warm", "W"), ())  # the table exists before the race
    ids = [f"R-{n:03d}" for n in range(99)]

    def claim(n: int) -> bool:
        return index.claim("s", f"f{n}", 0, claims(f"f{n}", *ids[n % 3::2]), ())

    with ThreadPoolExecutor(6) as pool:
        won = list(pool.map(claim, range(6)))
    owners = {c.file_id for c in index.existing("s", ids).values()}
    assert all(index.batches_done("s", f"f{n}") == ({0} if won[n] else set()) for n in range(6))
    assert owners == {f"f{n}" for n in range(6) if won[n]} and 1 <= sum(won) <= 2


def test_claims_cost_one_request_per_99_ids_and_a_release_one_per_100_entities(
    index: AzureTablePaymentIndex,
) -> None:
    """The figures in docs/architecture.md, at 10k ids (100k takes minutes on Azurite; see the notes):
    ceil(10000/99) = 102 transactions; releasing 10102 entities (claims and batch records) is
    ceil(10102/1000) = 11 query pages and ceil(10102/100) = 102 delete transactions."""
    ids = [f"BIG-{n:06d}" for n in range(10_000)]
    index.claim("s", "warm", 0, claims("warm", "W"), ())
    before = index.requests
    for number, start in enumerate(range(0, len(ids), index.MAX_BATCH)):
        assert index.claim("s", "big", number, claims("big", *ids[start:start + index.MAX_BATCH]), ())
    assert index.requests - before == 102
    assert len(index.batches_done("s", "big")) == 102
    before = index.requests
    assert index.release("s", "big") == 10_000
    assert index.requests - before == 11 + 102


def test_fast_and_sdk_batches_write_the_same_entities(azurite: AzuriteProcess) -> None:
    """The fast path's equivalence pin: the same operations leave the same entities, and refusals agree."""
    ids = ["A", "B/1", "C?x", "D#y", "E%z", "F'q", "G \\ h", "Ümlaut"]
    stored = []
    for fast in (True, False):
        index = fresh_index(azurite, fast)
        assert index.claim("s/x", "f1", 0, claims("f1", *ids), ())
        first = index.existing("s/x", ids)
        taken = PaymentClaim("B/1", "f2", "s/f2.csv", NOW, first["B/1"].version)
        assert index.claim("s/x", "f2", 0, claims("f2", "Z"), [taken])
        assert not index.claim("s/x", "f3", 0, claims("f3", "Y", "A"), ())
        assert not index.claim("s/x", "f3", 1, (), [taken])
        released = index.release("s/x", "f1")
        fields = ("PartitionKey", "RowKey", "payment_id", "file_id", "claimed_at", "count")
        raw = index._table.list_entities()
        entities = sorted(tuple(str(e.get(name)) for name in fields) for e in raw)
        stored.append((released, entities))
    assert stored[0] == stored[1]
    assert stored[0][0] == len(ids) - 1
