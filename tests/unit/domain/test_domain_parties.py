"""SEPA or not, and consistent parties: each rule of `parties` through validation, and the blocks it gives."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from domain_testkit import (
    ADDRESS_HEADER,
    DEBTOR,
    TODAY,
    codes_at,
    csv_file,
    make_reference,
    row,
    run_validation,
)
from lxml import etree

from shared.domain.pain001 import NAMESPACE
from shared.domain.pipeline import run_offline
from shared.domain.reference import ReferenceTable

pytestmark = pytest.mark.unit
NS = {"p": NAMESPACE}
TURKEY = "TR330006100519786457841326"
ADDRESS_COLUMNS = ADDRESS_HEADER + ",creditor_postcode,creditor_street,creditor_building"


def test_eur_to_a_bank_outside_sepa_needs_the_creditors_bic_and_address(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(creditor_iban=TURKEY, creditor_bic="")), reference)
    assert codes_at(result) == [(2, "creditor_bic", "creditor_bic_required"),
                                (2, "creditor_town", "creditor_address_required")]  # fmt: skip
    assert "TR, outside SEPA" in result.issues[0].message


def test_a_currency_other_than_eur_needs_them_too(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(currency="JPY", amount="5000", creditor_bic="")), reference)
    assert [code for _, _, code in codes_at(result)] == ["creditor_bic_required", "creditor_address_required"]


def test_an_incomplete_or_wrong_address_is_an_error(reference: ReferenceTable) -> None:
    data = csv_file(row(payment_id="P-1", creditor_country="Turkey"), row(payment_id="P-2", creditor_town=""),
                    header=ADDRESS_HEADER)  # fmt: skip
    result, _ = run_validation(data, reference)
    assert codes_at(result) == [(2, "creditor_country", "invalid_country"),
                                (3, "creditor_town", "incomplete_address")]  # fmt: skip


def test_the_sepa_maximum_applies_to_sepa_payments() -> None:
    reference = make_reference(max_payment_amount="9999999999.99", max_file_amount="99999999999.99")
    result, _ = run_validation(csv_file(row(amount="1000000000.00")), reference)
    assert codes_at(result) == [(2, "amount", "amount_over_limit")]
    assert "SEPA maximum of 999999999.99 EUR" in result.issues[0].message


@pytest.mark.parametrize(
    ("creditor", "bic", "code"),
    [
        ("DE67100700000012345678", "AGRIFRPPXXX", "bic_country_mismatch"),  # a DE IBAN, a French BIC
        (DEBTOR, "", "creditor_is_debtor"),
    ],
)
def test_inconsistent_parties_are_errors(
    reference: ReferenceTable, creditor: str, bic: str, code: str
) -> None:
    result, _ = run_validation(csv_file(row(creditor_iban=creditor, creditor_bic=bic)), reference)
    assert [c for _, _, c in codes_at(result)] == [code]


def test_a_bic_of_a_french_overseas_bank_with_a_french_iban_is_fine(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(creditor_iban="FR7630006000010001234567846",
                                            creditor_bic="BNPAGPGPXXX")), reference)  # fmt: skip
    assert result.valid, result.issues


def test_a_bic_the_registry_does_not_know_is_a_warning(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(creditor_bic="ABCDDEFFXXX")), reference)
    assert result.valid and [(w.code, w.before) for w in result.warnings] == [("bic_unknown", "ABCDDEFFXXX")]


def test_a_payment_out_of_the_eea_needs_the_payers_address() -> None:
    reference = make_reference(address=None)
    result, _ = run_validation(
        csv_file(row(creditor_iban="GB29NWBK60161331926819", creditor_bic="")), reference
    )
    assert codes_at(result) == [(2, None, "debtor_address_missing")]
    assert result.issues[0].message.startswith("row 2: a payment to a bank in GB needs the payer's address")


def _xml(data: bytes, reference: ReferenceTable) -> etree._Element:
    out = io.BytesIO()
    result = run_offline(io.BytesIO(data), blob_path="acme/p.csv", file_id="acme.p.00000000",
                         reference=reference, today=TODAY, creation_time=datetime(2026, 11, 22, tzinfo=UTC),
                         out=out)  # fmt: skip
    assert result.valid, result.issues
    return etree.fromstring(out.getvalue())


def test_sepa_and_other_payments_go_in_their_own_blocks_with_what_banks_require() -> None:
    reference = make_reference(category_purpose="SALA", charge_bearer="DEBT")
    data = csv_file(
        row(payment_id="P-1", debtor_name="ACME Subsidiary GmbH") + ",,,,,",
        row(payment_id="P-2", currency="JPY", amount="5000", creditor_bic="DEUTDEBBXXX")
        + ",DE,Köln,50667,Domkloster,4",
        header=ADDRESS_COLUMNS,
    )  # fmt: skip
    root = _xml(data, reference)
    sepa, other = root.findall(".//p:PmtInf", NS)
    if sepa.findtext(".//p:SvcLvl/p:Cd", namespaces=NS) is None:
        sepa, other = other, sepa
    assert sepa.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=NS) == "SEPA"
    assert sepa.findtext("p:ChrgBr", namespaces=NS) == "SLEV"
    assert sepa.findtext("p:PmtTpInf/p:CtgyPurp/p:Cd", namespaces=NS) == "SALA"
    assert sepa.findtext("p:Dbtr/p:Nm", namespaces=NS) == "ACME Payroll Ltd"
    assert sepa.findtext(".//p:UltmtDbtr/p:Nm", namespaces=NS) == "ACME Subsidiary GmbH"
    assert other.find("p:PmtTpInf/p:SvcLvl", NS) is None
    assert other.findtext("p:ChrgBr", namespaces=NS) == "DEBT"
    assert other.findtext("p:Dbtr/p:PstlAdr/p:TwnNm", namespaces=NS) == "Berlin"
    address = other.find(".//p:Cdtr/p:PstlAdr", NS)
    assert address is not None
    assert [(etree.QName(e).localname, e.text) for e in address] == [
        ("StrtNm", "Domkloster"), ("BldgNb", "4"), ("PstCd", "50667"), ("TwnNm", "Koln"),
        ("Ctry", "DE")]  # fmt: skip
    assert other.find(".//p:UltmtDbtr", NS) is None


def test_an_eight_character_bic_is_known_by_its_head_office_form(reference: ReferenceTable) -> None:
    result, _ = run_validation(csv_file(row(creditor_bic="DEUTDEBB")), reference)  # registry: DEUTDEBBXXX
    assert result.valid and result.warnings == []


@pytest.mark.parametrize(("iban", "sepa"), [(TURKEY, False), ("CH9300762011623852957", True),
                                             ("GB29NWBK60161331926819", True), (DEBTOR, True)])  # fmt: skip
def test_the_sepa_scheme_is_schwiftys(iban: str, sepa: bool) -> None:
    from schwifty import IBAN

    from shared.domain.parties import iban_country

    assert iban_country(iban) == (iban[:2], sepa) == (IBAN(iban).country_code, IBAN(iban).in_sepa_zone)
