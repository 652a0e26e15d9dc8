"""W3C `traceparent` values: a fresh trace per file, a new span per hop inheriting the trace id."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_traceparent(properties: Mapping[str, Any] | None) -> str:
    """Continue the inherited trace with a new span id, or start a new trace if none is valid."""
    parent = str((properties or {}).get("traceparent", ""))
    match = _TRACEPARENT.match(parent)
    if not match or set(match.group(1)) == {"0"}:
        return new_traceparent()
    return f"00-{match.group(1)}-{secrets.token_hex(8)}-{match.group(3)}"
