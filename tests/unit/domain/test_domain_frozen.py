"""The fast positional constructor builds the same frozen objects as the dataclasses' own __init__."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from shared.domain.canonical import CreditTransfer
from shared.domain.frozen import positional_constructor
from shared.domain.payments import Payment

pytestmark = pytest.mark.unit

PAYMENT = (7, "P-1", "DE89370400440532013000", "ACME", "DE67100700000012345678", "Jane Doe", None,
           Decimal("10.50"), "EUR", date(2026, 11, 30), "Salary", None)  # fmt: skip
TRANSFER = (
    "MSG-G1",
    "E2E-1",
    Decimal("10.50"),
    "EUR",
    "Jane Doe",
    "DE67100700000012345678",
    "DEUTDEBBXXX",
    "",
    None,
    None,
)


@pytest.mark.parametrize("cls, values", [(Payment, PAYMENT), (CreditTransfer, TRANSFER)])
def test_same_object_as_the_dataclass_constructor(cls: type, values: tuple[object, ...]) -> None:
    made, expected = positional_constructor(cls)(*values), cls(*values)
    assert type(made) is cls
    assert made == expected and hash(made) == hash(expected) and repr(made) == repr(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.currency = "USD"
    with pytest.raises(TypeError):
        positional_constructor(cls)(*values[:-1])  # every field is required


@dataclasses.dataclass(slots=True)
class _Mutable:
    x: int


@dataclasses.dataclass(frozen=True)
class _NoSlots:
    x: int


@dataclasses.dataclass(frozen=True, slots=True)
class _PostInit:
    x: int

    def __post_init__(self) -> None:
        raise AssertionError("skipped by a descriptor-setting constructor")


@pytest.mark.parametrize("cls", [_Mutable, _NoSlots, _PostInit, int])
def test_refuses_classes_it_would_build_wrongly(cls: type) -> None:
    with pytest.raises(TypeError):
        positional_constructor(cls)
