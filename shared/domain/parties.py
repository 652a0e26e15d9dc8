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

from schwifty import BIC, registry

from shared.domain import issues as codes
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


@lru_cache(maxsize=256)
def country_in_sepa(country: str) -> bool:
    """Whether an IBAN country is in the SEPA scheme, from schwifty's IBAN registry (what
    `IBAN.in_sepa_zone` reads, without parsing an IBAN again: validation already has)."""
    return bool(registry.get_iban_spec(country).in_sepa_zone)  # schwifty is pinned; a test pins this


def iban_country(compact: str) -> tuple[str, bool]:
    """(country code, in the SEPA scheme) of a valid compact IBAN: its first two letters are its country."""
    return compact[:2], country_in_sepa(compact[:2])


@lru_cache(maxsize=4096)
def bic_facts(bic: str) -> tuple[str, bool]:
    """(country code, known to schwifty's registry) of a well-formed BIC. The registry lists some banks
    only by their 11-character form (DEUTDEBBXXX, not DEUTDEBB), so an 8-character BIC is also looked
    up with its head-office branch XXX."""
    parsed = BIC(bic, allow_invalid=True)
    known = bool(parsed.exists) or (len(bic) == 8 and bool(BIC(bic + "XXX", allow_invalid=True).exists))
    return parsed.country_code, known


def sepa_scheme(currency: str, debtor_in_sepa: bool, creditor_in_sepa: bool) -> bool:
    """The rule: a SEPA credit transfer is in euro between two accounts of the SEPA scheme."""
    return currency == "EUR" and debtor_in_sepa and creditor_in_sepa


@lru_cache(maxsize=65536)
def is_sepa(currency: str, debtor_iban: str, creditor_iban: str) -> bool:
    return sepa_scheme(currency, iban_country(debtor_iban)[1], iban_country(creditor_iban)[1])


def same_account(creditor_iban: str) -> Problem:
    """The creditor IBAN is the debtor's own account."""
    return Problem(
        codes.CREDITOR_IS_DEBTOR,
        f"{creditor_iban} is the debtor account itself; a payment must go to another account",
    )


@lru_cache(maxsize=4096)
def bic_problem(bic: str, country: str) -> Problem | None:
    """A BIC whose country is not its IBAN's `country` (nor one of the legitimate exceptions)."""
    bic_country = bic_facts(bic)[0]
    if bic_country == country or bic_country in BIC_COUNTRY_EXCEPTIONS.get(country, ()):
        return None
    return Problem(
        codes.BIC_COUNTRY_MISMATCH,
        f"{bic} is a bank in {bic_country} but the creditor's IBAN is in {country}; check the BIC "
        "(or leave it empty for a SEPA payment: the IBAN is enough)",
    )


def over_sepa_maximum(amount: Decimal) -> Problem:
    return Problem(
        codes.AMOUNT_OVER_LIMIT,
        f"{amount} EUR is above the SEPA maximum of {SEPA_MAXIMUM} EUR for one payment; split it",
    )


@lru_cache(maxsize=4096)
def scheme_problems(  # noqa: PLR0917 (positional: the cache key, on every row)
    sepa: bool, currency: str, country: str, has_bic: bool, has_address: bool, debtor_address_known: bool
) -> tuple[tuple[str | None, Problem], ...]:
    """What the scheme needs that the row lacks: outside SEPA the creditor's BIC and address; beyond the
    EEA the payer's address (SEPA's maximum is checked by the caller: it depends on the amount alone).
    `country` is the creditor's IBAN country."""
    found: list[tuple[str | None, Problem]] = []
    why = f"a {currency} payment to {country}" if currency != "EUR" else f"EUR to {country}, outside SEPA,"
    if not sepa and not has_bic:
        found.append(("creditor_bic", Problem(
            codes.CREDITOR_BIC_REQUIRED, f"{why} is not a SEPA credit transfer: it needs the creditor's BIC",
        )))  # fmt: skip
    if not sepa and not has_address:
        found.append(("creditor_town", Problem(
            codes.CREDITOR_ADDRESS_REQUIRED,
            f"{why} is not a SEPA credit transfer: it needs the creditor's address; add the columns "
            "creditor_country and creditor_town (and creditor_street, creditor_building, creditor_postcode "
            "when known)",
        )))  # fmt: skip
    if not debtor_address_known and (not sepa or country not in EEA):
        found.append((None, Problem(
            codes.DEBTOR_ADDRESS_MISSING,
            f"a payment to a bank in {country} needs the payer's address, and the sender has none "
            "registered; ask your bank to add your address to the reference table",
        )))  # fmt: skip
    return tuple(found)
