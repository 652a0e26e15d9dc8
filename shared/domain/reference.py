"""The reference table: registered senders, their debtor accounts, currencies, limits and bank policies.

It is a public contract edited by operators (its shape: docs/reference-table.md). Version-1 documents
of DESIGN.md §3 load unchanged: every field added since is optional, with a documented default. Unknown
keys are refused (a typo such as `max_row` must not silently disable a limit). Amounts are decimal
strings, parsed to `Decimal`; debtor IBANs are checked with schwifty and kept in compact form.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from shared.domain import row_rules
from shared.domain.currencies import minor_units


class ReferenceTableError(ValueError):
    """The reference table is not valid; the message names the field path and what is wrong."""


def _decimal_string(value: Any) -> Decimal:
    # Only strings: a JSON float such as 0.1 has already lost exactness before we see it.
    if not isinstance(value, str):
        raise ValueError(f'must be a decimal string such as "50000.00", got {value!r}')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"is not a decimal number: {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"must be a positive decimal, got {value!r}")
    return amount


DecimalString = Annotated[Decimal, BeforeValidator(_decimal_string)]


class ExecutionWindow(BaseModel):
    """How many days before and after today an execution date may be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    past: int = Field(ge=0, strict=True)
    future: int = Field(ge=0, strict=True)


class CurrencyLimits(BaseModel):
    """Limits in one currency's own units; a missing one falls back to the sender's bare limit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_payment_amount: DecimalString | None = None
    max_file_amount: DecimalString | None = None


class PostalAddress(BaseModel):
    """A structured postal address (pain.001 PostalAddress24): town and country, the rest when known.
    Text is kept in the SEPA Latin form pain.001 carries, and must fit its limits in that form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str = Field(pattern=r"^[A-Z]{2}$")
    town: str = Field(min_length=1, max_length=35)
    postcode: str | None = Field(default=None, min_length=1, max_length=16)
    street: str | None = Field(default=None, min_length=1, max_length=70)
    building: str | None = Field(default=None, min_length=1, max_length=16)

    @field_validator("town", "postcode", "street", "building")
    @classmethod
    def _sepa_latin(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        limit = {"town": 35, "postcode": 16, "street": 70, "building": 16}[str(info.field_name)]
        verdict = row_rules.text(value, limit)
        if isinstance(verdict, row_rules.Problem):
            raise ValueError(verdict.message)
        return verdict


class SenderPolicy(BaseModel):
    """What one registered sender may do. Fields after `max_rows` are optional (see their defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=140)
    status: Literal["active", "suspended"]
    debtor_accounts: list[str]
    currencies: list[str] = Field(min_length=1)
    max_payment_amount: DecimalString
    max_file_amount: DecimalString
    max_rows: int = Field(gt=0, strict=True)
    # Per currency, overriding the two bare limits above, which otherwise apply to each currency alone.
    currency_limits: dict[str, CurrencyLimits] = Field(default_factory=dict)
    # The account holder's address: Dbtr/PstlAdr, required for payments leaving the EEA.
    address: PostalAddress | None = None
    # ChrgBr of payments that are not SEPA credit transfers (SEPA ones are always SLEV).
    charge_bearer: Literal["SHAR", "DEBT", "CRED"] = "SHAR"
    # CtgyPurp/Cd of every payment (an ISO External Category Purpose code such as SALA for salaries).
    category_purpose: str | None = Field(default=None, pattern=r"^[A-Z0-9]{4}$")
    # An execution date on a weekend or bank holiday: move it to the next or previous business day
    # (with a warning), or reject the row.
    non_business_day: Literal["next", "previous", "reject"] = "next"
    # How long a delivered payment id stays taken (shared/domain/duplicate_window.py); 0 turns it off.
    duplicate_window_days: int = Field(default=90, ge=0, strict=True)

    @field_validator("debtor_accounts")
    @classmethod
    def _ibans(cls, accounts: list[str]) -> list[str]:
        compact = []
        for account in accounts:
            try:
                compact.append(IBAN(account).compact)
            except SchwiftyException as exc:
                raise ValueError(f"{account!r} is not a valid IBAN ({exc})") from None
        return compact

    @field_validator("currencies")
    @classmethod
    def _currencies(cls, currencies: list[str]) -> list[str]:
        for code in currencies:
            if minor_units(code) is None:
                raise ValueError(f"{code!r} is not an ISO 4217 currency code this pipeline knows")
        return currencies

    @field_validator("currency_limits")
    @classmethod
    def _limit_currencies(cls, limits: dict[str, CurrencyLimits]) -> dict[str, CurrencyLimits]:
        for code in limits:
            if minor_units(code) is None:
                raise ValueError(f"{code!r} is not an ISO 4217 currency code this pipeline knows")
        return limits

    def payment_limit(self, currency: str) -> Decimal:
        """The per-payment maximum in `currency`'s own units."""
        limits = self.currency_limits.get(currency)
        return (limits and limits.max_payment_amount) or self.max_payment_amount

    def file_limit(self, currency: str) -> Decimal:
        """The maximum total of one file's payments in `currency`."""
        limits = self.currency_limits.get(currency)
        return (limits and limits.max_file_amount) or self.max_file_amount


class ReferenceTable(BaseModel):
    """The whole table: `version` 1, the execution-date window, and the senders by id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    execution_window_days: ExecutionWindow
    senders: dict[str, SenderPolicy]


def parse_reference_table(raw: bytes | str) -> ReferenceTable:
    """Parse and check a reference table; raise `ReferenceTableError` with every problem's field path."""
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceTableError(f"reference table is not valid JSON: {exc}") from None
    try:
        return ReferenceTable.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ReferenceTableError(f"reference table is invalid: {problems}") from None


def _describe(error: Any) -> str:
    path = ".".join(str(part) for part in error["loc"]) or "(document)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{path}: {message}"
