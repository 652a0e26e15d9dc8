"""The message contracts: the envelope and one model per (type, schema_version).

Event names are past tense. Every model pins `type` and `schema_version` with `Literal`, so adding
version 2 of a type is a new model in the union, never an edit of version 1 (golden files guard it).
`file.ended` is the lifecycle event any participant can subscribe to (`shared/handlers/ending.py` sends
it once per file); its `issues` records are `EndingIssue`s, inline or by claim-check.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, field_serializer

from shared.contracts.payloads import Payload

FailedStep = Literal["validator", "adaptor", "creator", "adaptor-compensation", "validator-compensation"]
CompensateTarget = Literal["validator", "adaptor"]
# Exact amounts travel as JSON strings ("401.00"), never as floats.
DecimalString = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used="always")]


class Envelope(BaseModel):
    """Fields every message carries at the top level of its JSON body (CloudEvents vocabulary)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str = Field(min_length=1)
    correlation_id: str = Field(min_length=1, description="the file id")
    causation_id: str | None = None
    occurred_at: AwareDatetime
    source: str = Field(min_length=1)

    @field_serializer("occurred_at")
    def _utc_z(self, value: datetime) -> str:
        # One canonical spelling so encode(decode(x)) == x for golden files.
        return value.isoformat().replace("+00:00", "Z")


class AddressData(BaseModel):
    """A structured postal address, its text already in the SEPA Latin set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str = Field(pattern=r"^[A-Z]{2}$")
    town: str = Field(min_length=1)
    postcode: str = ""
    street: str = ""
    building: str = ""


class DebtorData(BaseModel):
    """What the reference table registers about the account holder, for the adaptor (which never reads
    the table): its address, the charge bearer of non-SEPA payments and the category purpose."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: AddressData | None = None
    charge_bearer: Literal["SHAR", "DEBT", "CRED"] = "SHAR"
    category_purpose: str | None = None


class EndingIssue(BaseModel):
    """One error (the file was refused because of it) or warning (delivered, but changed or doubted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: Literal["error", "warning"]
    row: int | None = Field(default=None, description="line in the file (header = 1); None: the whole file")
    column: str | None = None
    code: str = Field(min_length=1, description="our stable snake_case code (shared/domain/issues.py)")
    message: str
    payment_id: str | None = Field(default=None, description="the row's payment_id, when the row has one")
    before: str | None = Field(default=None, description="a warning's value as sent")
    after: str | None = Field(default=None, description="a warning's value as delivered")
    rows: int = Field(default=1, ge=1, description="how many rows the same warning covers")


# The validator's warnings (as in its `validated` event), carried through `file.adapted` to the creator so
# it announces the end without reading the timeline back. Optional: None in a message sent before they
# travelled (the creator then reads them back), so older bodies still decode.
CarriedWarnings = Annotated[list[EndingIssue] | None, Field(description="the validator's warnings")]


class FileValidatedData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str = Field(min_length=1)
    sender: str = Field(min_length=1)
    sender_name: str = Field(min_length=1)
    blob_name: str = Field(min_length=1)
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    row_count: int = Field(ge=0)
    control_sum: DecimalString
    payload: Payload
    debtor: DebtorData = Field(default_factory=DebtorData)
    warnings: CarriedWarnings = None


class FileAdaptedData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str = Field(min_length=1)
    sender: str = Field(min_length=1)
    blob_name: str = Field(min_length=1)
    nb_of_txs: int = Field(ge=0)
    ctrl_sum: DecimalString
    document: Payload
    warnings: CarriedWarnings = None
    staged: bool | None = Field(
        default=None, description="whether anything of the file went to workflow/staging/ (the validator's "
        "payload or this document by claim-check), so the creator lists staging only then; None: unknown")


class FileFailedData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str = Field(min_length=1)
    sender: str
    blob_name: str
    failed_step: FailedStep
    reason: str = Field(min_length=1)
    error: dict[str, Any] | None = None
    archive: str | None = Field(default=None, description="workflow/ blob holding the dead-letter archive")
    compensate: CompensateTarget
    etag: str | None = Field(default=None, description="version of the incoming blob, when known")


TerminalState = Literal["delivered", "rejected", "duplicate", "failed"]


class FileEndedData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: str = Field(min_length=1)
    state: TerminalState
    sender: str = Field(description="empty when the file named no sender folder")
    blob_name: str
    evidence: str | None = Field(
        default=None, description="container/name of the output (delivered), report (rejected, duplicate) "
        "or reason.json (failed)")
    msg_id: str | None = Field(default=None, description="MsgId of the delivered pain.001")
    nb_of_txs: int | None = Field(default=None, ge=0)
    ctrl_sum: DecimalString | None = None
    error_count: int = Field(default=0, ge=0)
    duplicate_of: str | None = Field(default=None, description="the earlier file (duplicate)")
    failed_step: str | None = None
    reason: str | None = Field(default=None, description="why it failed, for an operator")
    needs_attention: bool = False
    issues: Payload


class FileValidated(Envelope):
    type: Literal["file.validated"] = "file.validated"
    schema_version: Literal[1] = 1
    data: FileValidatedData


class FileAdapted(Envelope):
    type: Literal["file.adapted"] = "file.adapted"
    schema_version: Literal[1] = 1
    data: FileAdaptedData


class FileFailed(Envelope):
    type: Literal["file.failed"] = "file.failed"
    schema_version: Literal[1] = 1
    data: FileFailedData


class FileEnded(Envelope):
    type: Literal["file.ended"] = "file.ended"
    schema_version: Literal[1] = 1
    data: FileEndedData


# (type, schema_version) -> model: the registry the decoder checks before pydantic sees the body.
MODELS: dict[str, dict[int, type[Envelope]]] = {
    "file.validated": {1: FileValidated},
    "file.adapted": {1: FileAdapted},
    "file.failed": {1: FileFailed},
    "file.ended": {1: FileEnded},
}
