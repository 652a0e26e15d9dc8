"""Subscription rule filters: correlation, true and SQL, evaluated against plain values."""

from __future__ import annotations

from typing import Any

import pytest
from servicebus_emulator.entities import SystemProperties
from servicebus_emulator.filters import CorrelationFilter, FilterError, TrueFilter, parse_sql

pytestmark = [pytest.mark.emulator, pytest.mark.unit]

SYSTEM = SystemProperties(message_id="m-1", correlation_id="c-1", subject="invoice", to="bank",
                          reply_to="replies", content_type="application/json")
PROPS: dict[str, Any] = {"compensate": "adaptor", "size": 42, "ratio": 0.5, "urgent": True, "Region": "EU"}


@pytest.mark.parametrize(("expression", "expected"), [
    ("compensate = 'adaptor'", True),
    ("compensate = 'validator'", False),
    ("compensate <> 'validator'", True),
    ("compensate != 'adaptor'", False),
    ("size > 40 AND size <= 42", True),
    ("size < 10 OR ratio >= 0.5", True),
    ("NOT (size = 42)", False),
    ("size IN (1, 2, 42)", True),
    ("compensate NOT IN ('adaptor', 'x')", False),
    ("missing IS NULL", True),
    ("size IS NOT NULL", True),
    ("missing = 'x'", False),
    ("NOT (missing = 'x')", False),  # unknown stays unknown under NOT
    ("missing = 'x' OR size = 42", True),
    ("sys.Label = 'invoice' AND sys.CorrelationId = 'c-1'", True),
    ("sys.To = 'bank' AND sys.ReplyTo = 'replies' AND sys.ContentType = 'application/json'", True),
    ("sys.MessageId LIKE 'm-%'", True),
    ("user.compensate = 'adaptor'", True),
    ("region = 'EU'", True),  # property names are case-insensitive
    ("urgent = TRUE", True),
    ("1=1", True),
    ("EXISTS(size) AND NOT EXISTS(missing)", True),
    ("[compensate] = 'adaptor'", True),
    ("size = '42'", False),  # no implicit string/number conversion
])
def test_sql_filter(expression: str, expected: bool) -> None:
    assert parse_sql(expression).matches(SYSTEM, PROPS) is expected


@pytest.mark.parametrize("expression", [
    "size + 1 > 2", "upper(compensate) = 'A'", "compensate = ", "", "(size = 1", "size LIKE 'a' ESCAPE '!'",
])
def test_unsupported_sql_is_rejected_with_a_message(expression: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_sql(expression)
    assert str(info.value)


def test_correlation_filter_needs_every_field_to_match() -> None:
    rule = CorrelationFilter({"correlation_id": "c-1", "subject": "invoice"}, {"compensate": "adaptor"})
    assert rule.matches(SYSTEM, PROPS)
    assert not rule.matches(SYSTEM, {**PROPS, "compensate": "validator"})
    assert not rule.matches(SystemProperties(correlation_id="c-2", subject="invoice"), PROPS)
    assert not CorrelationFilter({}, {"absent": "x"}).matches(SYSTEM, PROPS)


def test_true_filter() -> None:
    assert TrueFilter().matches(SystemProperties(), {})
