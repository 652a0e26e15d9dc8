"""The record carrier inside a message: the records themselves, or a claim-check reference to a blob.

Discriminated on `kind`. A blob reference holds the same records as NDJSON (one JSON object per line),
gzip-compressed when `encoding` says so (what this version writes; `identity`, the default, is what
earlier versions wrote and is still read). `size` and `sha256` are of the blob as stored, so the reader
detects a truncated or replaced staging blob.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class InlineRecords(BaseModel):
    """The records travel in the message body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["inline"] = "inline"
    records: list[dict[str, Any]]


class BlobReference(BaseModel):
    """Claim-check: the records are in `container/name` as NDJSON (gzip-compressed if `encoding` is gzip)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["blob"] = "blob"
    container: str = Field(min_length=1)
    name: str = Field(min_length=1)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    encoding: Literal["identity", "gzip"] = "identity"


Payload = Annotated[InlineRecords | BlobReference, Field(discriminator="kind")]
