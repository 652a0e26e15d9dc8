"""Deterministic identifiers: the sender from a blob path, the file id, MsgId and PmtInfId.

Everything is derived from inputs that are stable across retries (the blob name and its ETag), so a
re-run of any step produces the same ids, the same message ids and a byte-identical pain.001.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

MAX35 = 35
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


def sender_from_blob_path(blob_path: str) -> str:
    """The sender id: the first folder of the blob name inside `incoming` (`acme-payroll/x.csv`)."""
    parts = blob_path.strip("/").split("/")
    if len(parts) < 2 or not parts[0] or not parts[-1]:
        raise ValueError(
            f"blob {blob_path!r} is not inside a sender folder; "
            "upload it as incoming/<sender>/<file name>, e.g. incoming/acme-payroll/2026-11-20.csv"
        )
    return parts[0]


def slug(text: str) -> str:
    """Lower-case [a-z0-9-] form of `text`; `x` when nothing usable is left."""
    return _SLUG_UNSAFE.sub("-", text.lower()).strip("-") or "x"


def make_file_id(blob_path: str, version_tag: str) -> str:
    """`<sender slug>.<file stem slug>.<8 hex>`; the hash covers the full path and its version (ETag)."""
    sender = sender_from_blob_path(blob_path)
    stem = PurePosixPath(blob_path).stem
    digest = hashlib.sha256(f"{blob_path}\n{version_tag}".encode()).hexdigest()[:8]
    return f"{slug(sender)}.{slug(stem)}.{digest}"


def make_msg_id(file_id: str) -> str:
    """MsgId: up to 16 readable chars of the file id plus 12 hex of its hash, [A-Za-z0-9.-], <= 29 chars.

    The 6 spare characters let `make_pmt_inf_id` append `-G<n>` (n < 10000) without cutting the hash.
    """
    digest = hashlib.sha256(file_id.encode()).hexdigest()[:12]
    readable = re.sub(r"[^A-Za-z0-9.-]+", "-", file_id)[:16].strip("-.")
    return f"{readable}-{digest}" if readable else digest


def make_pmt_inf_id(msg_id: str, group_number: int) -> str:
    """PmtInfId for the n-th payment-information block (1-based): the MsgId, cut to fit, plus `-Gn`."""
    suffix = f"-G{group_number}"
    return f"{msg_id[: MAX35 - len(suffix)]}{suffix}"
