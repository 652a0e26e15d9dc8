"""Who pays whom: SEPA or not, and whether the parties of one payment are consistent.

A payment is a SEPA credit transfer when its currency is EUR and both IBANs' countries are in the SEPA
scheme (schwifty knows the scheme's members). Anything else needs the creditor's BIC and address. The
payer's address is needed too when the payee's bank is outside the EEA (CH and GB are in SEPA, not in
the EEA). A BIC normally has its IBAN's country; the legitimate exceptions are listed here, and in
docs/reference-table.md, because a DE IBAN with a French BIC is a mistake a bank would refuse.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from schwifty import BIC, IBAN

from shared.domain import issues as codes
from shared.domain.addresses import Address
from shared.domain.row_rules import Problem

SEPA_MAXIMUM = Decimal("999999999.99")  # EPC SCT rulebook: the largest amount of one payment, in EUR
EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
# IBAN country -> BIC countries a bank there may legitimately have: French overseas departments and
# territories and Monaco bank with FR IBANs; the Crown Dependencies with GB IBANs; the Åland Islands
# with FI IBANs; Monaco's banks are often branches of French ones.
BIC_COUNTRY_EXCEPTIONS = {
    "FR": frozenset(["GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF", "MC"]),
    "GB": frozenset(["GG", "JE", "IM"]),
    "FI": frozenset({"AX"}),
    "MC": frozenset({"FR"}),
}


@lru_cache(maxsize=65536)
def iban_country(compact: str) -> tuple[str, bool]:
    """(country code, in the SEPA scheme) of a valid compact IBAN."""
    iban = IBAN(compact, allow_invalid=True)
    return iban.country_code, bool(iban.in_sepa_zone)


@lru_cache(maxsize=4096)
def bic_facts(bic: str) -> tuple[str, bool]:
    """(country code, known to schwifty's registry) of a well-formed BIC."""
    parsed = BIC(bic, allow_invalid=True)
    return parsed.country_code, bool(parsed.exists)


def is_sepa(currency: str, debtor_iban: str, creditor_iban: str) -> bool:
    return currency == "EUR" and iban_country(debtor_iban)[1] and iban_country(creditor_iban)[1]


def needs_debtor_address(sepa: bool, creditor_iban: str) -> bool:
    return not sepa or iban_country(creditor_iban)[0] not in EEA


def consistency_problems(debtor_iban: str, creditor_iban: str, bic: str | None) -> list[tuple[str, Problem]]:
    """Parties that cannot both be right: the same account on both sides, a BIC of another country."""
    found = []
    if creditor_iban == debtor_iban:
        found.append(("creditor_iban", Problem(
            codes.CREDITOR_IS_DEBTOR,
            f"{creditor_iban} is the debtor account itself; a payment must go to another account",
        )))  # fmt: skip
    if bic:
        country = iban_country(creditor_iban)[0]
        bic_country = bic_facts(bic)[0]
        if bic_country != country and bic_country not in BIC_COUNTRY_EXCEPTIONS.get(country, ()):
            found.append(("creditor_bic", Problem(
                codes.BIC_COUNTRY_MISMATCH,
                f"{bic} is a bank in {bic_country} but the creditor IBAN {creditor_iban} is in {country}; "
                "check the BIC (or leave it empty for a SEPA payment: the IBAN is enough)",
            )))  # fmt: skip
    return found


def over_sepa_maximum(amount: Decimal) -> Problem:
    return Problem(
        codes.AMOUNT_OVER_LIMIT,
        f"{amount} EUR is above the SEPA maximum of {SEPA_MAXIMUM} EUR for one payment; split it",
    )


def scheme_problems(
    sepa: bool, currency: str, creditor_iban: str, bic: str | None, address: Address | None
) -> list[tuple[str, Problem]]:
    """What a payment outside SEPA needs: the creditor's BIC and address (SEPA's maximum is checked
    with the amount, by the caller, because it depends on the amount alone)."""
    if sepa:
        return []
    country = iban_country(creditor_iban)[0]
    why = f"a {currency} payment to {country}" if currency != "EUR" else f"EUR to {country}, outside SEPA,"
    found = []
    if not bic:
        found.append(("creditor_bic", Problem(
            codes.CREDITOR_BIC_REQUIRED, f"{why} is not a SEPA credit transfer: it needs the creditor's BIC",
        )))  # fmt: skip
    if address is None:
        found.append(("creditor_town", Problem(
            codes.CREDITOR_ADDRESS_REQUIRED,
            f"{why} is not a SEPA credit transfer: it needs the creditor's address; add the columns "
            "creditor_country and creditor_town (and creditor_street, creditor_building, creditor_postcode "
            "when known)",
        )))  # fmt: skip
    return found
