"""The reason table: every code the validator can give has an ISO reason, and only checked codes are used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.domain import issues
from shared.domain.status_reasons import ISO_MEANINGS, REASONS, iso_reason

pytestmark = pytest.mark.unit
# Codes the issues "Bank-grade verdicts" and "Pays once" add (read from their branches), so the table is
# complete when they are merged; the test below also catches any code added here later.
COMING = {"text_lost", "control_sum_too_large", "creditor_is_debtor", "bic_country_mismatch",
          "creditor_bic_required", "creditor_address_required", "incomplete_address", "invalid_country",
          "debtor_address_missing", "not_a_business_day", "transliterated", "bic_unknown", "date_shifted",
          "duplicate_payment"}
# Codes that the handlers give rather than the domain (shared/handlers/validator.py).
HANDLER_CODES = {"missing_sender_folder"}


def our_codes() -> set[str]:
    return {v for k, v in vars(issues).items() if k.isupper() and isinstance(v, str)}


def test_every_code_we_can_give_has_a_reason() -> None:
    assert our_codes() | COMING | HANDLER_CODES <= set(REASONS)


def test_only_codes_from_the_checked_list_are_used() -> None:
    assert set(REASONS.values()) <= set(ISO_MEANINGS)
    assert all(re.fullmatch(r"[A-Z]{2}[0-9]{2}|NARR", code) for code in ISO_MEANINGS)


@pytest.mark.parametrize(
    ("ours", "iso"),
    [("invalid_iban", "AC01"), ("invalid_bic", "RC01"), ("duplicate_payment_id", "AM05"),
     ("invalid_date", "DT01"), ("amount_over_limit", "AM02"), ("header_mismatch", "FF01"),
     ("invalid_encoding", "FF01"), ("unknown_sender", "BE05"), ("duplicate_payment", "AM05")],
)
def test_the_codes_the_issue_names(ours: str, iso: str) -> None:
    assert iso_reason(ours) == iso


def test_a_code_the_table_does_not_know_is_narrative() -> None:
    assert iso_reason("something_new") == "NARR"


def test_the_table_in_the_architecture_page_is_this_table() -> None:
    page = (Path(__file__).resolve().parents[3] / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page.split("### Our codes → ISO External Status Reason codes", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, str] = {}
    for iso, ours in re.findall(r"^\| `([A-Z0-9]{4})` \| [^|]+ \| ([^|]+) \|$", section, re.M):
        documented.update({code: iso for code in re.findall(r"`([a-z_]+)`", ours)})
    assert documented == REASONS
