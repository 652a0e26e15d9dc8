"""ISO 4217 minor units (decimal places) for the currencies a sender may be allowed to use.

A small explicit table rather than a dependency: neither schwifty nor pycountry publishes minor units,
and the reference table may only name currencies listed here (so every allowed currency has a known
number of decimals). Source: ISO 4217 list one (SIX Group), current as of 2026.
"""

from __future__ import annotations

MINOR_UNITS: dict[str, int] = {
    # The SEPA area and European neighbours.
    "EUR": 2, "CHF": 2, "GBP": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2,
    "RON": 2, "BGN": 2, "ISK": 0,
    # Major non-European currencies.
    "USD": 2, "CAD": 2, "AUD": 2, "NZD": 2, "JPY": 0, "CNY": 2, "HKD": 2, "SGD": 2, "KRW": 0,
    "INR": 2, "ZAR": 2, "MXN": 2, "BRL": 2, "TRY": 2, "AED": 2, "SAR": 2, "ILS": 2,
    # Three-decimal currencies, so that the check is exercised beyond 0 and 2.
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}  # fmt: skip


def minor_units(currency: str) -> int | None:
    """Number of decimals for `currency`, or None when it is not an ISO 4217 code we know."""
    return MINOR_UNITS.get(currency)
