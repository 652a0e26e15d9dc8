"""Shared fixtures for every test layer: the repo root on sys.path and the app's services seam reset.

Kept small on purpose; layer-specific fixtures live in each layer's own conftest.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pyproject.toml sets no pytest `pythonpath`; make the repo root importable for plain `pytest` runs too.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _reset_app_services() -> Iterator[None]:
    """Never let one test's injected services leak into the next."""
    yield
    if "shared.bootstrap" in sys.modules:
        sys.modules["shared.bootstrap"].reset_services()
