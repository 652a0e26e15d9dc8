"""One block of the payment index as a Table entity: the claims on ids that share a stem (`claim_keys`).

A block holds `claims` (payment id → the file that holds it) and `files` (file id → its blob name and
when it claimed), as JSON text split over properties `c0`, `c1`, … (a string property holds at most
32,000 characters; an entity at most 1 MiB). Each file with a claim in the block also has a property
`f_<hash of its id>` holding its id, so a release finds a file's blocks with an equality filter, not by
reading every block of the sender. The property count bounds a block to `MAX_FILES` files.

Pure code: reading and writing entities is `azure_table.py`'s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.ports import PaymentClaim

CHUNK = 30_000  # characters per text property (the service allows 64 KiB of UTF-16)
MAX_CHUNKS = 28  # ~840,000 characters: under the 1 MiB entity with room for the file properties
MAX_FILES = 200  # an entity has at most 252 properties: keys, Timestamp, chunks, then one per file
FILE_PROPERTY = "f_"


class BlockFull(RuntimeError):  # noqa: N818 (a limit reached, not a bug)
    """A block cannot take another claim without passing the service's entity limits."""


def file_property(file_id: str) -> str:
    """The property naming `file_id` in each block it holds a claim in (a valid property name)."""
    return FILE_PROPERTY + hashlib.sha256(file_id.encode("utf-8")).hexdigest()[:24]


@dataclass
class Block:
    """The claims of one block, as read (`etag` of the entity) or about to be written."""

    partition: str
    row: str
    claims: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    etag: str = ""

    def holds(self, payment_id: str) -> PaymentClaim | None:
        owner = self.claims.get(payment_id)
        if owner is None:
            return None
        blob_name, claimed_at = self.files[owner]
        return PaymentClaim(payment_id, owner, blob_name,
                            datetime.fromisoformat(claimed_at.replace("Z", "+00:00")), self.etag)

    def add(self, claims: Iterable[PaymentClaim]) -> Block:
        """A copy with these claims set (new ids, or takeovers replacing the earlier owner); files that
        no longer hold anything here are dropped."""
        updated = Block(self.partition, self.row, dict(self.claims), dict(self.files), self.etag)
        last: dict[str, PaymentClaim] = {}  # per file: a batch's claims share their file, blob and time
        for claim in claims:
            updated.claims[claim.payment_id] = claim.file_id
            last[claim.file_id] = claim
        for file_id, claim in last.items():  # stamped once per file, not once per id
            updated.files[file_id] = [claim.blob_name, claim.claimed_at.isoformat().replace("+00:00", "Z")]
        return updated._pruned()

    def without(self, file_id: str) -> tuple[Block, int]:
        """A copy without `file_id`'s claims, and how many it held."""
        kept = {pid: owner for pid, owner in self.claims.items() if owner != file_id}
        released = len(self.claims) - len(kept)
        return Block(self.partition, self.row, kept, dict(self.files), self.etag)._pruned(), released

    def _pruned(self) -> Block:
        owners = set(self.claims.values())
        self.files = {file_id: facts for file_id, facts in self.files.items() if file_id in owners}
        return self

    def entity(self) -> dict[str, Any]:
        """The entity to write; `BlockFull` if it would pass the service's limits."""
        text = json.dumps({"claims": self.claims, "files": self.files}, ensure_ascii=False,
                          separators=(",", ":"), sort_keys=True)
        chunks = [text[start:start + CHUNK] for start in range(0, len(text), CHUNK)]
        if len(chunks) > MAX_CHUNKS or len(self.files) > MAX_FILES:
            raise BlockFull(f"the payment index block {self.row!r} ({self.partition}) would hold "
                            f"{len(self.claims)} claims of {len(self.files)} files, more than one Table "
                            "entity takes; give payment ids that differ earlier than in their last two "
                            "characters")
        entity: dict[str, Any] = {"PartitionKey": self.partition, "RowKey": self.row}
        entity.update({f"c{number}": chunk for number, chunk in enumerate(chunks)})
        entity.update({file_property(file_id): file_id for file_id in self.files})
        return entity


def block_of(entity: Mapping[str, Any], etag: str) -> Block:
    """Read an entity `Block.entity()` wrote (chunks in order `c0`, `c1`, …)."""
    text = "".join(str(entity[f"c{number}"]) for number in range(MAX_CHUNKS) if f"c{number}" in entity)
    content = json.loads(text) if text else {"claims": {}, "files": {}}
    return Block(str(entity["PartitionKey"]), str(entity["RowKey"]), dict(content["claims"]),
                 {file_id: list(facts) for file_id, facts in content["files"].items()}, etag)
