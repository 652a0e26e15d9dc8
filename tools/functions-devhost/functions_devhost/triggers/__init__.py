"""Trigger listeners: each drives one function from its source with the Functions host's semantics."""

from __future__ import annotations

from typing import Protocol


class Listener(Protocol):
    """What the host starts and stops for each function."""

    def start(self) -> None: ...

    def stop(self, grace_seconds: float) -> None: ...
