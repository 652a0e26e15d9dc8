"""Our error and warning codes → ISO 20022 External Status Reason codes: the one table, for pain.002.

Every code the validator can give (`shared/domain/issues.py`, including those of the issues "Bank-grade
verdicts" and "Pays once") has a row here, and `tests/unit/domain/test_status_reasons.py` fails when a
code has none. Only codes checked against the ISO External Status Reason code set are used (see
`../shared/reference/payments.md`); `NARR` (reason given as narrative in `AddtlInf`) is the honest answer
where no code fits, and the fallback for a code this table does not know yet. The human message always
goes in `AddtlInf`, so the code never has to say everything. docs/architecture.md prints this table.
"""

from __future__ import annotations

# ISO codes used, with the meaning the code set gives them.
ISO_MEANINGS = {
    "AC01": "incorrect account number",
    "AG01": "transaction forbidden",
    "AM02": "amount not allowed (over a limit)",
    "AM03": "currency not allowed",
    "AM05": "duplication",
    "AM09": "wrong amount",
    "AM10": "invalid control sum",
    "AM18": "invalid number of transactions",
    "BE01": "inconsistent with end customer",
    "BE04": "missing creditor address",
    "BE05": "unrecognised initiating party",
    "CH16": "element content formally incorrect",
    "DT01": "invalid date",
    "FF01": "invalid file format",
    "NARR": "narrative: the reason is in AddtlInf",
    "RC01": "bank identifier incorrect",
}

# our code -> ISO code. Errors first (by where they are found), then warnings.
REASONS: dict[str, str] = {
    # the file as a whole: encoding, layout, size
    "invalid_encoding": "FF01",
    "header_mismatch": "FF01",
    "empty_file": "FF01",
    "file_too_large": "FF01",
    "line_too_long": "FF01",
    "malformed_row": "FF01",
    "wrong_column_count": "FF01",
    "too_many_rows": "AM18",
    "missing_sender_folder": "BE05",
    # the sender and its accounts (reference table)
    "unknown_sender": "BE05",
    "sender_suspended": "AG01",
    "debtor_not_registered": "BE01",
    "debtor_address_missing": "NARR",  # the bank's own record lacks it: nothing the sender can correct
    # identifiers and text
    "missing_value": "CH16",
    "payment_id_too_long": "CH16",
    "invalid_characters": "CH16",
    "field_too_long": "CH16",
    "text_lost": "CH16",
    "invalid_country": "CH16",
    "duplicate_payment_id": "AM05",
    "duplicate_payment": "AM05",  # the same payment in an earlier file ("Pays once")
    # accounts and banks
    "invalid_iban": "AC01",
    "invalid_bic": "RC01",
    "bic_country_mismatch": "RC01",
    "creditor_bic_required": "RC01",
    "creditor_is_debtor": "AG01",
    "creditor_address_required": "BE04",
    "incomplete_address": "BE04",
    # amounts and currencies
    "invalid_currency": "AM03",
    "currency_not_allowed": "AM03",
    "invalid_amount": "AM09",
    "amount_decimals": "AM09",
    "amount_not_positive": "AM09",
    "amount_over_limit": "AM02",
    "file_amount_over_limit": "AM02",
    "control_sum_too_large": "AM10",
    # dates
    "invalid_date": "DT01",
    "date_outside_window": "DT01",
    "not_a_business_day": "DT01",
    # warnings on a delivered file: what the bank changed or doubts, told in words
    "transliterated": "NARR",
    "date_shifted": "NARR",
    "bic_unknown": "NARR",
}

# Why a whole file was refused without looking at its payments.
DUPLICATE_FILE = "AM05"
FAILED_FILE = "NARR"
FALLBACK = "NARR"


def iso_reason(code: str) -> str:
    """The ISO External Status Reason code for one of our codes (`NARR` for one not in the table)."""
    return REASONS.get(code, FALLBACK)
