"""Shared fixtures for every app test layer: the repo root and the app's services seam reset.

Kept small on purpose; layer-specific fixtures live in each layer's own conftest.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The repo root is importable through pyproject.toml's pytest `pythonpath = ["."]`; no sys.path edit here.
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _reset_app_services() -> Iterator[None]:
    """Never let one test's injected services leak into the next."""
    yield
    if "shared.bootstrap" in sys.modules:
        sys.modules["shared.bootstrap"].reset_services()
