"""The one table of wire errors: every failure the emulator reports has one AMQP condition and one status.

The state machine raises these; the AMQP glue turns them into a link detach, a rejected delivery or a
management status code. Keeping the condition and the status together means both paths agree.
"""

from __future__ import annotations

from typing import ClassVar


class EmulatorError(Exception):
    """A Service Bus error that the SDKs understand, carried by its AMQP condition."""

    condition: ClassVar[str] = "amqp:internal-error"
    status: ClassVar[int] = 500

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class EntityNotFoundError(EmulatorError):
    condition = "amqp:not-found"
    status = 404


class MessageLockLostError(EmulatorError):
    condition = "com.microsoft:message-lock-lost"
    status = 410


class MessageNotFoundError(EmulatorError):
    condition = "com.microsoft:message-not-found"
    status = 404


class MessageSizeExceededError(EmulatorError):
    condition = "amqp:link:message-size-exceeded"
    status = 413


class MessageDecodeError(EmulatorError):
    condition = "amqp:decode-error"
    status = 400


class BadRequestError(EmulatorError):
    condition = "com.microsoft:argument-error"
    status = 400


class OperationNotImplementedError(EmulatorError):
    condition = "amqp:not-implemented"
    status = 501


class UnauthorizedError(EmulatorError):
    condition = "amqp:unauthorized-access"
    status = 401


class ConfigError(Exception):
    """The Config.json (or a rule inside it) is invalid; `path` names where, e.g. `Queues[1].Properties`."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# Condition -> management status code, for callers that only hold a condition string.
WIRE_ERRORS: dict[str, int] = {
    cls.condition: cls.status
    for cls in (EntityNotFoundError, MessageLockLostError, MessageNotFoundError, MessageSizeExceededError,
                MessageDecodeError, BadRequestError, OperationNotImplementedError, UnauthorizedError)
}
