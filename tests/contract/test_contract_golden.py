"""Golden message bodies: every (type, version) decodes, re-encodes to the same JSON, and anything that
is not one of them is refused with a precise reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.contracts import (
    MODELS,
    BlobReference,
    InlineRecords,
    PoisonMessage,
    decode_message,
    encode_message,
)

pytestmark = pytest.mark.contract
GOLDEN = Path(__file__).with_name("golden")
FILES = sorted(GOLDEN.glob("*.json"))


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_golden_round_trips_exactly(path: Path) -> None:
    raw = path.read_bytes()
    message = decode_message(raw)
    assert json.loads(encode_message(message)) == json.loads(raw)
    assert decode_message(encode_message(message)) == message


def test_every_type_and_version_has_a_golden_file() -> None:
    covered = {(d["type"], d["schema_version"]) for d in (json.loads(p.read_bytes()) for p in FILES)}
    assert covered == {(kind, version) for kind, versions in MODELS.items() for version in versions}


def test_payload_union_is_discriminated_on_kind() -> None:
    inline = decode_message(json.dumps(load("file.validated.v1.inline.json")))
    blob = decode_message(json.dumps(load("file.validated.v1.blob.json")))
    assert isinstance(inline.data.payload, InlineRecords)  # type: ignore[union-attr]
    assert isinstance(blob.data.payload, BlobReference)  # type: ignore[union-attr]


def test_a_blob_reference_of_an_earlier_version_is_plain_ndjson() -> None:
    """Versions before the gzip claim-check wrote no `encoding`: their messages still decode, as identity."""
    document = load("file.validated.v1.blob.json")
    del document["data"]["payload"]["encoding"]
    payload = decode_message(json.dumps(document)).data.payload  # type: ignore[union-attr]
    assert isinstance(payload, BlobReference)
    assert payload.encoding == "identity"


def mutate(name: str, path: str, value: Any) -> bytes:
    document = load(name)
    target = document
    *parents, leaf = path.split(".")
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[leaf]
    else:
        target[leaf] = value
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "message body is not valid JSON"),
        (b"\xff\xfe", "not UTF-8|not valid JSON"),
        (b'"a string"', "must be a JSON object, got str"),
        (mutate("file.failed.v1.json", "type", "file.exploded"), "unknown message type 'file.exploded'"),
        (mutate("file.failed.v1.json", "type", KeyError), "unknown message type None"),
        (
            mutate("file.failed.v1.json", "schema_version", 2),
            r"unsupported schema_version 2 for type file.failed \(supported: 1\)",
        ),
        (mutate("file.adapted.v1.inline.json", "schema_version", "1"), "unsupported schema_version '1'"),
        (mutate("file.validated.v1.inline.json", "schema_version", True), "unsupported schema_version True"),
        (
            mutate("file.validated.v1.inline.json", "data.row_count", KeyError),
            r"data\.row_count: Field required",
        ),
        (mutate("file.validated.v1.inline.json", "data.payload.kind", "ftp"), r"data\.payload"),
        (
            mutate("file.validated.v1.blob.json", "data.payload.encoding", "zstd"),
            r"data\.payload\.blob\.encoding",
        ),
        (mutate("file.failed.v1.json", "data.compensate", "creator"), r"data\.compensate"),
        (mutate("file.failed.v1.json", "occurred_at", "2026-11-20T08:00:00"), "occurred_at"),
        (mutate("file.failed.v1.json", "surprise", 1), "surprise: Extra inputs are not permitted"),
    ],
)
def test_bad_bodies_are_poison_with_a_precise_reason(body: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode_message(body)


@pytest.mark.parametrize(("name", "fields"), [("file.validated.v1.inline.json", ["warnings"]),
                                              ("file.adapted.v1.inline.json", ["warnings", "staged"])])
def test_a_body_from_before_warnings_and_staged_travelled_still_decodes(name: str, fields: list[str]) -> None:
    document = load(name)
    for field in fields:
        del document["data"][field]
    data = decode_message(json.dumps(document)).data
    assert all(getattr(data, field) is None for field in fields)  # the creator then reads back and lists
