"""Small payment files built in the test, so each scenario states exactly what it feeds the pipeline."""

from __future__ import annotations

from datetime import date, timedelta

from shared.domain.business_days import next_business_day

HEADER = (
    "payment_id,debtor_iban,debtor_name,creditor_iban,creditor_name,creditor_bic,"
    "amount,currency,execution_date,remittance_info"
)
CREDITORS = (
    ("FR1420041010050500013M02606", "Societe Generale Client", "SOGEFRPP"),
    ("NL91ABNA0417164300", "Jan de Vries", "ABNANL2A"),
    ("GB29NWBK60161331926819", "Brit Supplies Ltd", ""),
)


def execution_date_after(today: date, days: int = 7) -> date:
    """A realistic requested execution date: `days` after the bank's `today`, moved on to a business
    day by the app's own calendar (weekends and TARGET2 closing days), so no date rule shifts it.
    Tests take `today` from the clock of the code under test, never from the wall clock."""
    return next_business_day(today + timedelta(days=days), "EUR")


def payment_csv(
    rows: int = 3,
    *,
    execution_date: date,
    tag: str = "P",
    amount: str = "125.50",
    debtor: str = "DE89370400440532013000",
    currency: str = "EUR",
) -> bytes:
    """A valid acme-payroll file (for the sample reference table) with `rows` payments.

    `execution_date` has no default on purpose: it must come from the clock of the code under test
    (the fake clock, or the stack's bank date), so no date written here can expire."""
    lines = [HEADER]
    for number in range(1, rows + 1):
        iban, name, bic = CREDITORS[number % len(CREDITORS)]
        lines.append(
            f"{tag}-{number:05d},{debtor},ACME Payroll Ltd,{iban},{name},{bic},"
            f"{amount},{currency},{execution_date.isoformat()},Invoice {number}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def invalid_csv(execution_date: date) -> bytes:
    """Three errors in known places: a bad creditor IBAN (row 2), a negative amount and a bad date (row 3)."""
    return (
        HEADER + "\n"
        "P-1,DE89370400440532013000,ACME Payroll Ltd,FR0000000000000000000000000,Bad Iban,,"
        f"10.00,EUR,{execution_date.isoformat()},x\n"
        "P-2,DE89370400440532013000,ACME Payroll Ltd,NL91ABNA0417164300,Jan,,-5.00,EUR,2026-13-40,y\n"
    ).encode()
