"""The SEPA Latin character set: identifiers are checked, free text is transliterated."""

from __future__ import annotations

import pytest

from shared.domain.charset import SEPA_LATIN, invalid_id_characters, to_sepa_latin

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jörg Müller", "Jorg Muller"),
        ("Straße", "Strasse"),
        ("Łukasz Żółć", "Lukasz Zolc"),
        ("Søren Ærø", "Soren AEro"),
        ("Smith & Sons", "Smith + Sons"),
        ("a  b\u00a0 c", "a b c"),
        ("Ref: 12/2027 (travel)", "Ref: 12/2027 (travel)"),
    ],
)
def test_transliteration(text: str, expected: str) -> None:
    assert to_sepa_latin(text) == (expected, None)


@pytest.mark.parametrize("text", ["北京", "tab\there", "emoji 🙂"])
def test_untranslatable_characters_are_reported(text: str) -> None:
    result, reason = to_sepa_latin(text)
    assert reason is not None and "no SEPA Latin equivalent" in reason
    assert set(result) <= SEPA_LATIN


@pytest.mark.parametrize("value", ["ABC-123", "INV 2027/11", "a.b,c+d'e?f:g(h)"])
def test_valid_identifiers(value: str) -> None:
    assert invalid_id_characters(value) is None


@pytest.mark.parametrize(
    "value, fragment", [("A_B", "'_'"), ("Ä1", "'Ä'"), ("/AB", "'/'"), ("AB/", "'/'"), ("A//B", "'//'")]
)
def test_invalid_identifiers(value: str, fragment: str) -> None:
    reason = invalid_id_characters(value)
    assert reason is not None and fragment in reason
