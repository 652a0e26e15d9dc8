"""Encoding and decoding message bodies, with a precise reason for every body that cannot be read.

`decode_message` checks JSON, then `type`, then `schema_version`, then the fields, so the reason a
poison message ends in a dead-letter queue names the exact problem rather than a pydantic dump.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import Field, TypeAdapter, ValidationError

from shared.contracts.messages import MODELS, Envelope, FileAdapted, FileEnded, FileFailed, FileValidated

Message = Annotated[FileValidated | FileAdapted | FileFailed | FileEnded, Field(discriminator="type")]
MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)
M = TypeVar("M", bound=Envelope)


class PoisonMessage(ValueError):  # noqa: N818 (names agreed in docs/architecture.md)
    """A message body that no retry can fix: invalid JSON, unknown type or version, bad fields."""


def decode_message(body: bytes | str) -> Message:
    """Parse a body into its contract model; raise `PoisonMessage` with a precise reason."""
    document = _parse_json(body)
    kind = document.get("type")
    versions = MODELS.get(kind) if isinstance(kind, str) else None
    if versions is None:
        raise PoisonMessage(f"unknown message type {kind!r}; known types: {', '.join(sorted(MODELS))}")
    version = document.get("schema_version")
    if isinstance(version, bool) or version not in versions:
        supported = ", ".join(str(v) for v in sorted(versions))
        raise PoisonMessage(
            f"unsupported schema_version {version!r} for type {kind} (supported: {supported})"
        )
    try:
        return MESSAGE_ADAPTER.validate_python(document)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid {kind} v{version}: {describe_errors(exc)}") from None


def decode_as(body: bytes | str, expected: type[M]) -> M:
    """Decode and insist on one model, e.g. FileAdaptor accepts only `file.validated`."""
    message = decode_message(body)
    if not isinstance(message, expected):
        wanted = expected.model_fields["type"].default
        raise PoisonMessage(f"expected a {wanted} message, got {message.type}")
    return message


def encode_message(message: Envelope) -> bytes:
    """Compact UTF-8 JSON of the model."""
    return message.model_dump_json().encode("utf-8")


def describe_errors(exc: ValidationError) -> str:
    """`data.payload.kind: Input should be 'inline' or 'blob'; ...` — one clause per field error."""
    parts = []
    for error in exc.errors()[:10]:
        path = ".".join(str(p) for p in error["loc"][1:])  # loc[0] is the union tag or "(body)"
        parts.append(f"{path}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _parse_json(body: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except UnicodeDecodeError as exc:
        raise PoisonMessage(f"message body is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PoisonMessage(f"message body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PoisonMessage(f"message body must be a JSON object, got {type(document).__name__}")
    return document
