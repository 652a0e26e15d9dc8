"""Property: any valid generated file yields XSD-valid pain.001 whose control figures equal the input's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from schwifty import IBAN

from shared.domain.pain001 import NAMESPACE
from shared.domain.pipeline import run_offline
from shared.domain.reference import parse_reference_table
from shared.domain.row_checks import COLUMNS

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 22)
DEBTORS = ["DE89370400440532013000", "CH9300762011623852957", "GB29NWBK60161331926819"]
CREDITORS = ["DE67100700000012345678", "FR7630006000010001234567846", "NL20INGB0001234567",
             "IT60X0542811101000000123456", "AT611904300234573201"]  # fmt: skip
DECIMALS = {"EUR": 2, "CHF": 2, "JPY": 0, "KWD": 3}
REFERENCE = parse_reference_table(
    '{"version": 1, "execution_window_days": {"past": 0, "future": 60}, "senders": {"acme": {'
    '"name": "ACME Payroll Ltd", "status": "active", "debtor_accounts": '
    + str(DEBTORS).replace("'", '"')
    + ","
    '"currencies": ["EUR", "CHF", "JPY", "KWD"], "max_payment_amount": "999999.999",'
    '"max_file_amount": "999999999", "max_rows": 1000,'
    '"address": {"country": "DE", "town": "Berlin"}}}}'
)
# A BIC of each creditor's own country (a BIC of another country is an error); not SEPA needs one.
BICS = {iban: str(IBAN(iban).bic.compact) if IBAN(iban).bic else f"BANK{iban[:2]}MM" for iban in CREDITORS}
NAME_CHARS = st.sampled_from(list("abcxyzABCXYZ0189 .,-'()+/?:éüßØŁñ&"))
ID_CHARS = st.sampled_from(list("ABCXYZabcxyz0189-.:+?()"))


def _meaningful(text: str) -> bool:
    """Text validation keeps: some letter or digit (an accented one becomes its base letter)."""
    return any(ch.isalnum() for ch in text)


@st.composite
def payment_rows(draw: st.DrawFn) -> list[str]:
    currency = draw(st.sampled_from(sorted(DECIMALS)))
    places = DECIMALS[currency]
    units = draw(st.integers(min_value=1, max_value=999_999 * 10**places))
    amount = str(Decimal(units).scaleb(-places))
    name = draw(st.text(NAME_CHARS, min_size=1, max_size=30).filter(_meaningful))
    creditor = draw(st.sampled_from(CREDITORS))
    sepa = currency == "EUR"
    return [
        "",  # payment_id is set below, unique per file
        draw(st.sampled_from(DEBTORS)),
        "ACME Payroll Ltd",
        creditor,
        name,
        draw(st.sampled_from(["", BICS[creditor]])) if sepa else BICS[creditor],
        amount,
        currency,
        (TODAY + timedelta(days=draw(st.integers(0, 60)))).isoformat(),
        # "ß" becomes "ss": 70 characters stay within 140
        draw(st.text(NAME_CHARS, max_size=70).filter(lambda s: not s.strip() or _meaningful(s))),
        "" if sepa else creditor[:2],  # outside SEPA the creditor's country and town are needed
        "" if sepa else draw(st.text(NAME_CHARS, min_size=1, max_size=17).filter(_meaningful)),  # ß: 2
    ]


@st.composite
def payment_files(draw: st.DrawFn) -> tuple[bytes, list[list[str]]]:
    rows = draw(st.lists(payment_rows(), min_size=1, max_size=40))
    prefix = draw(st.text(ID_CHARS, min_size=1, max_size=20))
    for n, row in enumerate(rows):
        row[0] = f"{prefix}-{n}"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow((*COLUMNS, "creditor_country", "creditor_town"))
    writer.writerows(rows)
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.getvalue().encode("utf-8"), rows


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payment_files())
def test_valid_file_gives_xsd_valid_pain001_with_matching_control_figures(
    file: tuple[bytes, list[list[str]]],
) -> None:
    data, rows = file
    out = io.BytesIO()
    result = run_offline(
        io.BytesIO(data), blob_path="acme/p.csv", file_id="acme.p.00000000", reference=REFERENCE,
        today=TODAY, creation_time=datetime(2026, 11, 22, tzinfo=UTC), out=out,
    )  # fmt: skip
    assert result.valid, result.issues[:3]
    # run_offline has already validated the XML against the XSD; check the figures independently.
    root = etree.fromstring(out.getvalue())
    ns = {"p": NAMESPACE}
    total = sum((Decimal(r[6]) for r in rows), Decimal(0))
    assert root.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns) == str(len(rows))
    assert Decimal(root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) or "") == total
    amounts = [Decimal(a.text or "") for a in root.iterfind(".//p:InstdAmt", ns)]
    assert len(amounts) == len(rows) and sum(amounts) == total
    assert sorted(e.text or "" for e in root.iterfind(".//p:EndToEndId", ns)) == sorted(r[0] for r in rows)
