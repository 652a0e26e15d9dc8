"""Fixtures for the domain tests."""

from __future__ import annotations

import pytest
from domain_testkit import make_reference

from shared.domain.reference import ReferenceTable


@pytest.fixture
def reference() -> ReferenceTable:
    return make_reference()
