"""Message contracts between the pipeline's functions: pydantic v2 models, one discriminated union.

Import from here: `decode_message`, `encode_message`, `PoisonMessage` and the models.
"""

from shared.contracts.codec import (
    MESSAGE_ADAPTER,
    Message,
    PoisonMessage,
    decode_as,
    decode_message,
    encode_message,
)
from shared.contracts.messages import (
    MODELS,
    AddressData,
    CompensateTarget,
    DebtorData,
    EndingIssue,
    Envelope,
    FailedStep,
    FileAdapted,
    FileAdaptedData,
    FileEnded,
    FileEndedData,
    FileFailed,
    FileFailedData,
    FileValidated,
    FileValidatedData,
    TerminalState,
)
from shared.contracts.payloads import BlobReference, InlineRecords, Payload

__all__ = [
    "MESSAGE_ADAPTER",
    "MODELS",
    "AddressData",
    "BlobReference",
    "CompensateTarget",
    "DebtorData",
    "EndingIssue",
    "Envelope",
    "FailedStep",
    "FileAdapted",
    "FileAdaptedData",
    "FileEnded",
    "FileEndedData",
    "FileFailed",
    "FileFailedData",
    "FileValidated",
    "FileValidatedData",
    "InlineRecords",
    "Message",
    "Payload",
    "PoisonMessage",
    "TerminalState",
    "decode_as",
    "decode_message",
    "encode_message",
]
