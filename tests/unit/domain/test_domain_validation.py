"""Every validation check: one test per issue code, asserting the row and column it is reported at."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from domain_testkit import (
    ADDRESS_HEADER,
    CREDITOR,
    DEBTOR,
    HEADER,
    REFERENCE,
    TODAY,
    codes_at,
    csv_file,
    make_reference,
    row,
    run_validation,
)

from shared.domain.reference import ReferenceTable, parse_reference_table
from shared.domain.validation import MAX_REPORTED_ISSUES, validate_payment_file

pytestmark = pytest.mark.unit
FULL_WIDTH = "\uff11\uff10\uff10.\uff10\uff10"  # 100.00 in full-width digits
ARABIC_INDIC = "\u0661\u0660\u0660"  # 100 in Arabic-Indic digits


def test_a_valid_file_has_no_issues_and_hands_over_every_payment(reference: ReferenceTable) -> None:
    data = csv_file(row(), row(payment_id="P-2", amount="0.01", creditor_bic=""), row(payment_id="P-3"))
    result, payments = run_validation(data, reference)
    assert result.valid and result.issues == [] and result.issue_count == 0
    assert result.row_count == 3
    assert result.control_sum == Decimal("200.01")
    assert [p.row for p in payments] == [2, 3, 4]
    assert payments[1].creditor_bic is None and payments[1].amount == Decimal("0.01")
    assert payments[0].execution_date == date(2026, 11, 30)


def test_values_are_normalised(reference: ReferenceTable) -> None:
    spaced = "DE89 3704 0044 0532 0130 00"
    result, payments = run_validation(
        csv_file(row(debtor_iban=spaced, creditor_bic=" deutdebbxxx ")), reference
    )
    assert result.valid, result.issues
    assert payments[0].debtor_iban == DEBTOR
    assert payments[0].creditor_bic == "DEUTDEBBXXX"


def test_bom_and_crlf_line_ends_are_accepted(reference: ReferenceTable) -> None:
    data = b"\xef\xbb\xbf" + csv_file(row(), row(payment_id="P-2")).replace(b"\n", b"\r\n")
    result, payments = run_validation(data, reference)
    assert result.valid, result.issues
    assert len(payments) == 2


def test_rows_are_physical_line_numbers(reference: ReferenceTable) -> None:
    # A blank line and a quoted field spanning two lines both shift the following rows.
    data = csv_file(
        row(), "", row(payment_id="P-2", remittance_info='"two\nlines"'), row(payment_id="P-3", amount="x")
    )
    result, _ = run_validation(data, reference)
    assert (4, "remittance_info", "invalid_characters") in codes_at(result)
    assert (6, "amount", "invalid_amount") in codes_at(result)


# (lines after the header, expected (row, column, code)) for each row-level code.
ROW_CASES = {
    "payment_id_too_long": ([row(payment_id="X" * 36)], (2, "payment_id", "payment_id_too_long")),
    "invalid_characters_id": ([row(payment_id="A_B")], (2, "payment_id", "invalid_characters")),
    "invalid_characters_slash": ([row(payment_id="/AB")], (2, "payment_id", "invalid_characters")),
    "invalid_characters_name": ([row(creditor_name="北京贸易")], (2, "creditor_name", "invalid_characters")),
    "invalid_iban_creditor": ([row(creditor_iban=CREDITOR[:-1] + "9")], (2, "creditor_iban", "invalid_iban")),
    "invalid_iban_debtor": ([row(debtor_iban="DE00123")], (2, "debtor_iban", "invalid_iban")),
    "invalid_bic": ([row(creditor_bic="DEUTDEBB12")], (2, "creditor_bic", "invalid_bic")),
    "invalid_currency": ([row(currency="EURO")], (2, "currency", "invalid_currency")),
    "invalid_currency_case": ([row(currency="eur")], (2, "currency", "invalid_currency")),
    "currency_not_allowed": ([row(currency="GBP")], (2, "currency", "currency_not_allowed")),
    "invalid_amount_comma": ([row(amount='"1,000.00"')], (2, "amount", "invalid_amount")),
    "invalid_amount_exponent": ([row(amount="1e3")], (2, "amount", "invalid_amount")),
    "invalid_amount_digits": ([row(amount="1" * 17 + ".00")], (2, "amount", "invalid_amount")),
    "invalid_amount_fullwidth": ([row(amount=FULL_WIDTH)], (2, "amount", "invalid_amount")),
    "invalid_amount_arabic_indic": ([row(amount=ARABIC_INDIC)], (2, "amount", "invalid_amount")),
    "invalid_amount_plus": ([row(amount="+100.00")], (2, "amount", "invalid_amount")),
    "invalid_amount_padded": ([row(amount=" 100.00 ")], (2, "amount", "invalid_amount")),
    "invalid_amount_leading_zeros": ([row(amount="007.00")], (2, "amount", "invalid_amount")),
    "amount_decimals_eur": ([row(amount="100.001")], (2, "amount", "amount_decimals")),
    "amount_not_positive_zero": ([row(amount="0.00")], (2, "amount", "amount_not_positive")),
    "amount_not_positive_negative": ([row(amount="-5.00")], (2, "amount", "amount_not_positive")),
    "amount_over_limit": ([row(amount="50000.01")], (2, "amount", "amount_over_limit")),
    "invalid_date": ([row(execution_date="2026-02-30")], (2, "execution_date", "invalid_date")),
    "invalid_date_format": ([row(execution_date="30/11/2026")], (2, "execution_date", "invalid_date")),
    "invalid_date_compact": ([row(execution_date="20261130")], (2, "execution_date", "invalid_date")),
    "date_before_window": ([row(execution_date="2026-11-21")], (2, "execution_date", "date_outside_window")),
    "date_after_window": ([row(execution_date="2026-12-23")], (2, "execution_date", "date_outside_window")),
    "field_too_long_name": ([row(creditor_name="N" * 71)], (2, "creditor_name", "field_too_long")),
    "field_too_long_debtor": ([row(debtor_name="ß" * 36)], (2, "debtor_name", "field_too_long")),
    "field_too_long_remittance": ([row(remittance_info="R" * 141)], (2, "remittance_info", "field_too_long")),
    "debtor_not_registered": (
        [row(debtor_iban="DE12500105170648489890")],
        (2, "debtor_iban", "debtor_not_registered"),
    ),
    "wrong_column_count": ([row() + ",extra"], (2, None, "wrong_column_count")),
    "malformed_row": (['"P-1"x,' + row()[4:]], (2, None, "malformed_row")),
    "duplicate_payment_id": ([row(), row(amount="5.00")], (3, "payment_id", "duplicate_payment_id")),
}


@pytest.mark.parametrize("lines, expected", list(ROW_CASES.values()), ids=list(ROW_CASES))
def test_row_level_issue(reference: ReferenceTable, lines: list[str], expected: tuple[int, str, str]) -> None:
    result, payments = run_validation(csv_file(*lines), reference)
    assert codes_at(result) == [expected], result.issues
    assert not result.valid
    message = result.issues[0].message
    assert message.startswith(f"row {expected[0]}")
    assert expected[0] not in [p.row for p in payments]


@pytest.mark.parametrize(
    ("value", "says"),
    [(FULL_WIDTH, "ASCII digits"), ("+100.00", "without one"), (" 100.00 ", "spaces"),
     ("-5.00", "negative"), ("007.00", "leading zeros"), ("1" * 19, "more than 18 digits")],
)  # fmt: skip
def test_an_amount_error_quotes_the_value_and_says_what_to_do(
    reference: ReferenceTable, value: str, says: str
) -> None:
    result, _ = run_validation(csv_file(row(amount=value)), reference)
    assert repr(value) in result.issues[0].message and says in result.issues[0].message


@pytest.mark.parametrize("column", ["payment_id", "debtor_iban", "debtor_name", "creditor_iban",
                                    "creditor_name", "amount", "currency", "execution_date"])  # fmt: skip
def test_missing_value(reference: ReferenceTable, column: str) -> None:
    result, _ = run_validation(csv_file(row(**{column: ""})), reference)
    assert codes_at(result) == [(2, column, "missing_value")]


def test_optional_columns_may_be_empty(reference: ReferenceTable) -> None:
    result, payments = run_validation(csv_file(row(creditor_bic="", remittance_info="")), reference)
    assert result.valid, result.issues
    assert payments[0].remittance_info == ""


def test_window_bounds_are_inclusive(reference: ReferenceTable) -> None:
    data = csv_file(row(execution_date="2026-11-22"), row(payment_id="P-2", execution_date="2026-12-22"))
    result, _ = run_validation(data, reference)
    assert result.valid, result.issues


def test_duplicate_names_the_first_row(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(), row(payment_id="P-2"), row()), reference)
    assert codes_at(result) == [(4, "payment_id", "duplicate_payment_id")]
    assert "row 2" in result.issues[0].message


def test_header_mismatch_is_reported_on_row_1_and_rows_are_not_checked(reference: ReferenceTable) -> None:
    header = HEADER.replace("amount", "amt")
    result, payments = run_validation(csv_file(row(), header=header), reference)
    assert codes_at(result) == [(1, None, "header_mismatch")]
    assert "'amt'" in result.issues[0].message and payments == []


def test_invalid_encoding_is_reported_on_its_row(reference: ReferenceTable) -> None:
    data = csv_file(row(), row(payment_id="P-2", creditor_name="Jane")).replace(b"Jane,", b"J\xe9ne,", 1)
    result, payments = run_validation(data, reference)
    assert codes_at(result) == [(3, None, "invalid_encoding")]
    assert "0xe9" in result.issues[0].message
    assert [p.row for p in payments] == [2]


def test_empty_file(reference: ReferenceTable) -> None:
    result, _ = run_validation(b"", reference)
    assert codes_at(result) == [(None, None, "empty_file")]


def test_header_without_rows_is_empty(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(), reference)
    assert codes_at(result) == [(None, None, "empty_file")]


def test_too_many_rows(reference: ReferenceTable) -> None:
    lines = [row(payment_id=f"P-{n}", amount="1.00") for n in range(6)]
    result, _ = run_validation(csv_file(*lines), reference)
    assert codes_at(result) == [(None, None, "too_many_rows")]
    assert "6" in result.issues[0].message and "5" in result.issues[0].message


def test_file_too_large_stops_reading(reference: ReferenceTable) -> None:
    data = csv_file(*[row(payment_id=f"P-{n}") for n in range(4)])
    result, _ = run_validation(data, reference, max_bytes=len(data) - 10)
    assert codes_at(result) == [(None, None, "file_too_large")]


def test_line_too_long(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(remittance_info="x" * 70_000), row(payment_id="P-2")), reference)
    assert codes_at(result) == [(2, None, "line_too_long")]


def test_file_amount_over_limit(reference: ReferenceTable) -> None:
    lines = [row(payment_id=f"P-{n}", amount="40000.00") for n in range(3)]
    result, _ = run_validation(csv_file(*lines), reference)
    assert codes_at(result) == [(None, None, "file_amount_over_limit")]
    assert "120000.00" in result.issues[0].message


def test_unknown_sender(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row()), reference, sender="nobody")
    assert codes_at(result) == [(None, None, "unknown_sender")]
    assert "acme" in result.issues[0].message


def test_suspended_sender_still_gets_row_checks(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(amount="20.00")), reference, sender="dormant")
    assert codes_at(result) == [
        (None, None, "sender_suspended"),
        (2, "debtor_iban", "debtor_not_registered"),
        (2, "amount", "amount_over_limit"),
    ]


def test_every_issue_is_reported_in_file_order(reference: ReferenceTable) -> None:
    data = csv_file(row(amount="0"), row(payment_id="P-2", currency="GBP", execution_date="x"), row())
    result, _ = run_validation(data, reference)
    assert codes_at(result) == [
        (2, "amount", "amount_not_positive"),
        (3, "currency", "currency_not_allowed"),
        (3, "execution_date", "invalid_date"),
        (4, "payment_id", "duplicate_payment_id"),
    ]


def test_reported_issues_are_capped_but_all_counted() -> None:
    reference = make_reference(max_rows=5000)
    lines = [row(payment_id=f"P-{n}", amount="0") for n in range(MAX_REPORTED_ISSUES + 200)]
    result, _ = run_validation(csv_file(*lines), reference)
    assert len(result.issues) == MAX_REPORTED_ISSUES
    assert result.issue_count == MAX_REPORTED_ISSUES + 200
    assert result.to_report()["error_count"] == MAX_REPORTED_ISSUES + 200


def test_report_shape(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(amount="abc")), reference)
    report = result.to_report()
    assert report["state"] == "rejected"
    assert report["errors"] == [
        {"row": 2, "column": "amount", "code": "invalid_amount", "message": result.issues[0].message}
    ]


class _NoSlurp(io.BytesIO):
    """A stream that fails if anyone tries to read it whole."""

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None and size >= 0, "the validator must not read the whole file"
        return super().read(size)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        raise AssertionError("the validator must not read all lines")


def test_reads_line_by_line(reference: ReferenceTable) -> None:
    stream = _NoSlurp(csv_file(row(), row(payment_id="P-2")))
    result = validate_payment_file(stream, sender="acme", reference=reference, today=TODAY)
    assert result.valid and result.row_count == 2


@pytest.mark.parametrize("name", ["%%%", "<<>>", "$"])
def test_a_name_that_would_lose_its_meaning_is_an_error(reference: ReferenceTable, name: str) -> None:
    result, _ = run_validation(csv_file(row(creditor_name=name)), reference)
    assert codes_at(result) == [(2, "creditor_name", "text_lost")]
    assert repr(name) in result.issues[0].message


def test_every_transliteration_is_a_warning_with_before_and_after(reference: ReferenceTable) -> None:
    data = csv_file(
        row(payment_id="P-1", creditor_name="<script>", remittance_info="5% fee $3"),
        row(payment_id="P-2", creditor_name="Jörg Müller"),
        row(payment_id="P-3", creditor_name="Jörg Müller"),
    )
    result, payments = run_validation(data, reference)
    assert result.valid, result.issues
    seen = [(w.row, w.column, w.code, w.before, w.after, w.rows) for w in result.warnings]
    assert seen == [
        (2, "creditor_name", "transliterated", "<script>", "(script)", 1),
        (2, "remittance_info", "transliterated", "5% fee $3", "5 fee 3", 1),
        (3, "creditor_name", "transliterated", "Jörg Müller", "Jorg Muller", 2),
    ]
    assert result.warning_count == 3 and result.to_report()["warnings"][0]["after"] == "(script)"
    assert [p.creditor_name for p in payments] == ["(script)", "Jorg Muller", "Jorg Muller"]


def test_a_file_total_beyond_what_pain001_can_carry_is_rejected() -> None:
    reference = make_reference(max_payment_amount="999999999999999999", max_file_amount="9" * 20)
    huge = "999999999999999999"
    jpy = {"currency": "JPY", "creditor_country": "DE"}  # JPY is not SEPA: it needs the address
    data = csv_file(row(payment_id="P-1", amount=huge, **jpy), row(payment_id="P-2", amount=huge, **jpy),
                    header=ADDRESS_HEADER)  # fmt: skip
    result, _ = run_validation(data, reference)
    assert codes_at(result) == [(None, None, "control_sum_too_large")]
    assert "1999999999999999998" in result.issues[0].message


def test_limits_are_per_currency_and_file_totals_do_not_mix_currencies() -> None:
    reference = make_reference(
        max_payment_amount="50000.00", max_file_amount="60000.00",
        currency_limits={"JPY": {"max_payment_amount": "8000000", "max_file_amount": "9000000"}},
    )  # fmt: skip
    jpy = {"currency": "JPY", "creditor_country": "DE"}
    eur = {"creditor_country": "DE"}
    fine = csv_file(row(payment_id="P-1", amount="3000000", **jpy),
                    row(payment_id="P-2", amount="50000.00", **eur),
                    row(payment_id="P-3", amount="5000000", **jpy), header=ADDRESS_HEADER)  # fmt: skip
    result, _ = run_validation(fine, reference)
    assert result.valid, result.issues  # JPY 8,000,000 and EUR 50,000 are never added together
    assert result.currency_totals == {"JPY": Decimal("8000000"), "EUR": Decimal("50000.00")}
    over = csv_file(row(payment_id="P-1", amount="6000000", **jpy),
                    row(payment_id="P-2", amount="4000000", **jpy),
                    row(payment_id="P-3", amount="8000001", **jpy), header=ADDRESS_HEADER)  # fmt: skip
    result, _ = run_validation(over, reference)
    assert codes_at(result) == [(4, "amount", "amount_over_limit"), (None, None, "file_amount_over_limit")]
    assert "8000000 JPY" in result.issues[0].message and "10000000 JPY" in result.issues[1].message


@pytest.mark.parametrize(("amount", "currency"), [("100.5", "JPY"), ("1.0001", "KWD")])
def test_decimals_follow_the_currency(reference: ReferenceTable, amount: str, currency: str) -> None:
    # JPY and KWD are not SEPA: the rows carry the creditor's address.
    data = csv_file(row(amount=amount, currency=currency, creditor_country="DE"), header=ADDRESS_HEADER)
    result, _ = run_validation(data, reference)
    assert codes_at(result) == [(2, "amount", "amount_decimals")]


SATURDAY, CHRISTMAS, GOOD_FRIDAY = "2026-11-28", "2026-12-25", "2027-03-26"


def _a_year_ahead() -> ReferenceTable:
    return parse_reference_table(
        json.dumps({**REFERENCE, "execution_window_days": {"past": 0, "future": 400}})
    )


@pytest.mark.parametrize(
    ("written", "executed", "why"),
    [
        (SATURDAY, "2026-11-30", "a Saturday"),
        (CHRISTMAS, "2026-12-28", "Christmas Day (a TARGET2 closing day)"),
    ],
)
def test_a_date_that_is_no_business_day_moves_to_the_next_with_a_warning(
    written: str, executed: str, why: str
) -> None:
    result, payments = run_validation(csv_file(row(execution_date=written)), _a_year_ahead())
    assert result.valid, result.issues
    assert payments[0].execution_date == date.fromisoformat(executed)
    [warning] = result.warnings
    assert (warning.code, warning.column, warning.before, warning.after) == ("date_shifted", "execution_date",
                                                                            written, executed)  # fmt: skip
    assert why in warning.message


def test_good_friday_is_closed_for_euro() -> None:
    result, payments = run_validation(csv_file(row(execution_date=GOOD_FRIDAY)), _a_year_ahead())
    assert result.valid and payments[0].execution_date == date(2027, 3, 30)  # Easter Monday is closed too


def test_the_policy_can_move_back_or_reject() -> None:
    previous = make_reference(non_business_day="previous")
    result, payments = run_validation(csv_file(row(execution_date=SATURDAY)), previous)
    assert payments[0].execution_date == date(2026, 11, 27)
    result, _ = run_validation(csv_file(row(execution_date="2026-11-22")), previous)  # Sunday = today
    assert codes_at(result) == [(2, "execution_date", "not_a_business_day")]  # Friday is already past
    result, _ = run_validation(
        csv_file(row(execution_date=SATURDAY)), make_reference(non_business_day="reject")
    )
    assert codes_at(result) == [(2, "execution_date", "not_a_business_day")]
    assert "2026-11-28 is a Saturday" in result.issues[0].message and "2026-11-30" in result.issues[0].message


def test_optional_columns_follow_the_required_ones_in_any_order(reference: ReferenceTable) -> None:
    header = HEADER + ",creditor_town,creditor_country"  # town before country
    result, payments = run_validation(csv_file(row(currency="JPY", amount="5000") + ",Berlin,DE",
                                               header=header), reference)  # fmt: skip
    assert result.valid, result.issues
    address = payments[0].creditor_address
    assert address is not None and (address.country, address.town) == ("DE", "Berlin")


@pytest.mark.parametrize("extra", [",creditor_zip", ",creditor_town,creditor_town"])
def test_an_unknown_or_repeated_optional_column_is_a_header_mismatch(
    reference: ReferenceTable, extra: str
) -> None:
    result, _ = run_validation(csv_file(row(), header=HEADER + extra), reference)
    assert codes_at(result) == [(1, None, "header_mismatch")]
    assert "creditor_country" in result.issues[0].message  # it names the columns that may follow


@pytest.mark.parametrize(
    ("separator", "name"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")]
)
def test_a_header_separated_by_something_else_than_commas_says_so(
    reference: ReferenceTable, separator: str, name: str
) -> None:
    # A spreadsheet saved in a European locale separates with semicolons by default.
    header = HEADER.replace(",", separator)
    result, payments = run_validation(csv_file(row(), header=header), reference)
    assert codes_at(result) == [(1, None, "header_mismatch")]
    message = result.issues[0].message
    assert message.startswith(f"the columns are separated by {name}, not commas: save the file as "
                              "comma-separated CSV (UTF-8)")
    assert HEADER in message and payments == []


def test_a_quoted_header_separated_by_semicolons_says_so_too(reference: ReferenceTable) -> None:
    # Not even CSV to a comma reader ('"payment_id";…' breaks its quoting): still the separator's fault.
    header = ";".join(f'"{column}"' for column in HEADER.split(","))
    result, payments = run_validation(csv_file(row(), header=header), reference)
    assert codes_at(result) == [(1, None, "header_mismatch")]
    assert result.issues[0].message.startswith("the columns are separated by semicolons, not commas")
    assert payments == []


def test_a_malformed_header_not_split_by_another_separator_keeps_its_error(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(), header='"payment_id"x,' + HEADER.split(",", 1)[1]), reference)
    assert codes_at(result) == [(1, None, "malformed_row")]


def test_a_header_that_is_merely_wrong_does_not_blame_the_separator(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(), header="payment_id;debtor_iban"), reference)
    message = result.issues[0].message
    assert "separated by" not in message and "2 columns" not in message
    assert "1 column instead of at least 10" in message  # one field: the line has no comma


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("14.01.2031", "is not written as YYYY-MM-DD; write 2031-01-14"),  # day first, with dots
        ("1.2.2031", "is not written as YYYY-MM-DD; write 2031-02-01"),
        ("13/01/2031", "is not written as YYYY-MM-DD; write 2031-01-13"),  # 13 can only be the day
        ("01-13-2031", "is not written as YYYY-MM-DD; write 2031-01-13"),
        ("03/04/2031", "is not written as YYYY-MM-DD, and could be 2031-03-04 or 2031-04-03; "
                       "write the one you mean as YYYY-MM-DD"),
        ("04/04/2031", "is not written as YYYY-MM-DD; write 2031-04-04"),  # both readings agree
        ("31.02.2031", "is not a date; write it as YYYY-MM-DD (year, month, day)"),
        ("2031-02-30", "is not a day of the calendar; write an existing date as YYYY-MM-DD"),
        ("2031/01/14", "is not written as YYYY-MM-DD; write 2031-01-14"),  # year first: one reading
        ("2031-1-4", "is not written as YYYY-MM-DD; write 2031-01-04"),
        ("2031/02/30", "is not a date; write it as YYYY-MM-DD (year, month, day)"),
        ("20310130", "is not a date; write it as YYYY-MM-DD (year, month, day)"),
        ("next friday", "is not a date; write it as YYYY-MM-DD (year, month, day)"),
    ],
)
def test_a_date_not_written_as_yyyy_mm_dd_says_which_date_to_write(
    reference: ReferenceTable, written: str, advice: str
) -> None:
    result, _ = run_validation(csv_file(row(execution_date=written)), reference)
    assert codes_at(result) == [(2, "execution_date", "invalid_date")]
    assert result.issues[0].message == f"row 2, execution_date: {written!r} {advice}"


_IN_CURRENCY_COLUMN = "(the currency goes in the currency column)"
_GENERAL = ("is not a decimal amount; write digits with a dot for decimals and no thousands separators "
            "(e.g. 1250.50)")


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("12,50", "has a comma for the decimals; write 12.50"),
        ("1,234.56", "has commas between the thousands; write 1234.56"),
        ("1.234,56", "has dots between the thousands and a comma for the decimals; write 1234.56"),
        ("1'234.56", "has separators between the thousands; write 1234.56"),  # Swiss
        ("1\u202f234,56", "has separators between the thousands; write 1234.56"),  # French, narrow no-break
        ("€12.50", f"has a currency sign or code in it; write 12.50 {_IN_CURRENCY_COLUMN}"),
        ("12,50 EUR", f"has a currency sign or code in it; write 12.50 {_IN_CURRENCY_COLUMN}"),
        ("1,234", _GENERAL),  # no single reading (thousands, or three decimals?): the general advice
        ("12.50.1", _GENERAL),
        ("¥1,234", _GENERAL),
    ],
)
def test_an_amount_written_as_people_write_money_names_the_amount_to_write(
    reference: ReferenceTable, written: str, advice: str
) -> None:
    quoted = f'"{written}"' if "," in written else written  # as a spreadsheet saves it
    result, _ = run_validation(csv_file(row(amount=quoted)), reference)
    assert codes_at(result) == [(2, "amount", "invalid_amount")]
    assert result.issues[0].message == f"row 2, amount: {written!r} {advice}"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("eur", "'eur': currency codes are written in upper case; write EUR"),
        ("Eur", "'Eur': currency codes are written in upper case; write EUR"),
        ("euro", "'euro' is not an ISO 4217 currency code (upper case, e.g. EUR)"),
        ("xyz", "'xyz' is not an ISO 4217 currency code (upper case, e.g. EUR)"),
    ],
)
def test_a_currency_code_in_lower_case_names_the_code_to_write(
    reference: ReferenceTable, written: str, message: str
) -> None:
    result, _ = run_validation(csv_file(row(currency=written)), reference)
    assert (2, "currency", "invalid_currency") in codes_at(result)
    assert f"row 2, currency: {message}" in [issue.message for issue in result.issues]
