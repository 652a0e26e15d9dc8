"""A structured postal address (pain.001 PostalAddress24), as the domain carries it.

From 15 November 2026 the EPC accepts only structured or hybrid addresses: town and country are
mandatory, street, building number and postcode are written when known. The creditor's comes from
optional CSV columns, the debtor's from the reference table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The optional CSV columns that make up the creditor's address, and their pain.001 length limits.
CREDITOR_ADDRESS_COLUMNS = {
    "creditor_country": 2,
    "creditor_town": 35,  # Max35Text TwnNm
    "creditor_postcode": 16,  # Max16Text PstCd
    "creditor_street": 70,  # Max70Text StrtNm
    "creditor_building": 16,  # Max16Text BldgNb
}


@dataclass(frozen=True, slots=True)
class Address:
    """Country (ISO 3166 alpha-2) and town, plus what else is known; all text in SEPA Latin."""

    country: str
    town: str
    postcode: str = ""
    street: str = ""
    building: str = ""

    def to_record(self) -> dict[str, str]:
        return {"country": self.country, "town": self.town, "postcode": self.postcode, "street": self.street,
                "building": self.building}  # fmt: skip

    @classmethod
    def from_record(cls, record: Any) -> Address | None:
        """The address of `to_record()`, or None for null; raise ValueError naming what is wrong."""
        if record is None:
            return None
        if not isinstance(record, dict):
            raise ValueError(f"an address must be an object or null, got {record!r}")
        values = {
            name: record.get(name, "") for name in ("country", "town", "postcode", "street", "building")
        }
        if not all(isinstance(value, str) for value in values.values()) or not values["country"]:
            raise ValueError(f"an address needs string fields and a country, got {record!r}")
        return cls(**values)
