"""The payment index on a real Azurite Table endpoint, through azure-data-tables as the app builds it.

The same behaviour the fake promises: a batch (one partition) commits atomically, a takeover needs the
version read, a release deletes only what still names the file, and racing files never share an id.
Every test runs through the fast transaction path and through the SDK's own `submit_transaction`.
"""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from localdev.stack.azurite import AzuriteProcess
from shared.adapters.azure_table import AzureTablePaymentIndex
from shared.adapters.claim_blocks import MAX_FILES, BlockFull
from shared.adapters.connections import table_service_client
from shared.domain.claim_keys import partition_key
from shared.ports import PaymentClaim

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def fresh_index(azurite: AzuriteProcess, fast: bool) -> AzureTablePaymentIndex:
    service = table_service_client("PaymentsStorage", {"PaymentsStorage": azurite.connection_string})
    return AzureTablePaymentIndex(service, table=f"claims{uuid.uuid4().hex[:12]}", fast_batches=fast)


@pytest.fixture(params=[True, False], ids=["fast-batches", "sdk-batches"])
def index(azurite: AzuriteProcess, request: pytest.FixtureRequest) -> AzureTablePaymentIndex:
    """A fresh table per test (created by the adapter on its first claim, as on a new account)."""
    return fresh_index(azurite, fast=bool(request.param))


def together(sender: str, count: int, stem: str = "ID") -> list[str]:
    """`count` ids that share one partition of `sender`, so that they can go in one transaction."""
    first = partition_key(sender, f"{stem}-0")
    found = (f"{stem}-{n}" for n in itertools.count())
    return list(itertools.islice((pid for pid in found if partition_key(sender, pid) == first), count))


def blocks_together(sender: str, count: int, stem: str) -> list[str]:
    """`count` whole blocks of 100 sequential ids (`<stem>-<k>00` … `<stem>-<k>99`) in one partition."""
    first = partition_key(sender, f"{stem}-000")
    stems = (f"{stem}-{k}" for k in itertools.count())
    chosen = itertools.islice((s for s in stems if partition_key(sender, f"{s}00") == first), count)
    return [f"{s}{n:02d}" for s in chosen for n in range(100)]


def claims(file_id: str, *ids: str) -> list[PaymentClaim]:
    return [PaymentClaim(pid, file_id, f"s/{file_id}.csv", NOW) for pid in ids]


def test_a_batch_commits_and_reads_back(index: AzureTablePaymentIndex) -> None:
    assert index.existing("s", ["A"]) == {} and index.release("s", "f1") == 0  # no table yet
    ids = together("s", 3, "A/1?x")
    assert index.claim("s", claims("f1", *ids), ())
    found = index.existing("s", [*ids, "other"])
    assert {pid: c.file_id for pid, c in found.items()} == dict.fromkeys(ids, "f1")
    assert found[ids[0]].claimed_at == NOW and found[ids[0]].version


def test_a_batch_meeting_one_claim_writes_nothing(index: AzureTablePaymentIndex) -> None:
    a, b, c = together("s", 3)
    assert index.claim("s", claims("f1", b), ())
    assert not index.claim("s", claims("f2", a, b, c), ())
    assert set(index.existing("s", [a, b, c])) == {b}


def test_a_takeover_needs_the_version_read(index: AzureTablePaymentIndex) -> None:
    a, b = together("s", 2)
    index.claim("s", claims("old", a), ())
    stale = index.existing("s", [a])[a]
    assert index.claim("s", claims("new", b), [PaymentClaim(a, "new", "s/new.csv", NOW, stale.version)])
    assert not index.claim("s", (), [PaymentClaim(a, "third", "s/t.csv", NOW, stale.version)])
    assert index.existing("s", [a])[a].file_id == "new"


def test_release_deletes_only_what_still_names_the_file(index: AzureTablePaymentIndex) -> None:
    first, second = together("s", 2, "P"), together("s", 2, "Q")
    for batch in (first, second):
        index.claim("s", claims("f1", *batch), ())
    index.claim("s-other", claims("f1", "P-0"), ())  # the same file id under another sender: not touched
    stale = index.existing("s", [first[1]])[first[1]]
    index.claim("s", (), [PaymentClaim(first[1], "f2", "s/f2.csv", NOW, stale.version)])

    assert index.release("s", "f1") == 3
    assert {p: c.file_id for p, c in index.existing("s", first + second).items()} == {first[1]: "f2"}
    assert index.release("s", "f1") == 0
    assert set(index.existing("s-other", ["P-0"])) == {"P-0"}


def test_racing_files_never_share_a_payment_id(index: AzureTablePaymentIndex) -> None:
    ids = together("s", 99, "R")
    index.claim("s", claims("warm", "W"), ())  # the table exists before the race

    def claim(n: int) -> bool:
        return index.claim("s", claims(f"f{n}", *ids[n % 3::2]), ())

    with ThreadPoolExecutor(6) as pool:
        won = list(pool.map(claim, range(6)))
    owners = {c.file_id for c in index.existing("s", ids).values()}
    assert owners == {f"f{n}" for n in range(6) if won[n]} and 1 <= sum(won) <= 2


def test_a_block_holds_a_run_of_ids_so_claims_cost_one_request_per_100_blocks(
        index: AzureTablePaymentIndex) -> None:
    """The figures in docs/architecture.md, at 3000 sequential ids (30 blocks of 100) in one partition:
    one transaction of 30 entities; releasing them is one query page and one transaction."""
    ids = blocks_together("s", 30, "BIG")
    index.claim("s", claims("warm", "W"), ())
    before = index.requests
    assert index.claim("s", claims("big", *ids), ())
    assert index.requests - before == 1
    assert len(list(index._table.list_entities())) == 1 + 30
    before = index.requests
    assert index.release("s", "big") == 3000
    assert index.requests - before == 1 + 1
    assert {e["RowKey"] for e in index._table.list_entities()} == {"b:"}  # only "W"'s block is left


def test_two_files_share_a_block_and_each_releases_only_its_own(index: AzureTablePaymentIndex) -> None:
    first, second = [f"INV-0001{n:02d}" for n in range(0, 50)], [f"INV-0001{n:02d}" for n in range(50, 100)]
    assert index.claim("s", claims("f1", *first), ())
    assert not index.claim("s", claims("f2", *second), ())  # the block exists: decide on what it holds
    assert index.existing("s", second) == {}
    assert index.claim("s", claims("f2", *second), ())  # ... at the version just read
    assert not index.claim("s", claims("f3", first[0]), ())
    assert index.existing("s", [first[0]])[first[0]].file_id == "f1"
    assert index.release("s", "f1") == 50
    assert {c.file_id for c in index.existing("s", first + second).values()} == {"f2"}
    assert set(index.existing("s", first + second)) == set(second)
    assert index.release("s", "f2") == 50 and list(index._table.list_entities()) == []


def test_a_block_that_would_pass_the_entity_limits_is_refused_clearly(index: AzureTablePaymentIndex) -> None:
    ids = [f"X{chr(0x4E00 + n)}{chr(0x4E00 + m)}" for n in range(40) for m in range(40)][:1600]
    for number in range(MAX_FILES):  # one id per file, all in the block of stem "X"
        assert index.claim("s", claims(f"file-{number:03d}", ids[number]), ()) or (
            index.existing("s", [ids[number]]) == {} and index.claim("s", claims(f"file-{number:03d}",
                                                                                  ids[number]), ()))
    index.existing("s", [ids[MAX_FILES]])
    with pytest.raises(BlockFull, match="more than one Table entity takes"):
        index.claim("s", claims("one-too-many", ids[MAX_FILES]), ())


def test_fast_and_sdk_batches_write_the_same_entities(azurite: AzuriteProcess) -> None:
    """The fast path's equivalence pin: the same operations leave the same entities, and refusals agree."""
    ids = together("s/x", 8, "A/B?C#D%E'F \\ Ü")
    stored = []
    for fast in (True, False):
        index = fresh_index(azurite, fast)
        assert index.claim("s/x", claims("f1", *ids), ())
        first = index.existing("s/x", ids)
        taken = PaymentClaim(ids[1], "f2", "s/f2.csv", NOW, first[ids[1]].version)
        assert index.claim("s/x", (), [taken])
        assert not index.claim("s/x", claims("f3", ids[0]), ())
        assert not index.claim("s/x", (), [taken])
        released = index.release("s/x", "f1")
        raw = index._table.list_entities()
        stored.append((released, sorted(sorted((k, str(v)) for k, v in e.items()) for e in raw)))
    assert stored[0] == stored[1]
    assert stored[0][0] == len(ids) - 1
