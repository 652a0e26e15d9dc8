"""Run one function invocation the way the Python worker does, and log it the way the host does.

Trigger inputs are built by the library's own converters (`get_binding_registry().get(type).decode(...)`)
from a `Datum` and the host's trigger-metadata keys, so a function gets exactly the object Azure gives it.
Sync functions run on the caller's thread (each trigger owns a pool sized by host.json); async functions run
on one shared event loop, as on the worker's loop. Outputs are sent only after the function returns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions import meta

from functions_devhost import sdk_types
from functions_devhost.context import InvocationContext
from functions_devhost.indexer import IndexedFunction
from functions_devhost.outputs import OutputSender

log = logging.getLogger("devhost.host")
_SUCCEEDED = "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)%s"
_FAILED = "Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms)%s\nResult: Failure Exception: %s: %s"


@dataclass(frozen=True)
class Invocation:
    """A trigger's input for one call: the data, the host's metadata, and what to show in the logs."""

    data: Any  # a `meta.Datum`; an extension's Datum for an SDK-typed parameter (sdk_types)
    metadata: Mapping[str, meta.Datum]
    reason: str
    file_id: str = ""
    trace_parent: str = ""


@dataclass(frozen=True)
class InvocationResult:
    """How a call ended: its return value or its exception, and how long it took."""

    succeeded: bool
    value: Any = None
    error: BaseException | None = None
    duration_ms: float = 0.0


class _Out(func.Out[Any]):
    """The worker's `Out`: holds what the function set until the host sends it."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


class Invoker:
    """Calls indexed functions; owns the event loop that async functions share."""

    def __init__(self, outputs: OutputSender, function_directory: str) -> None:
        self._outputs = outputs
        self._directory = function_directory
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="devhost-async", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def invoke(self, function: IndexedFunction, invocation: Invocation) -> InvocationResult:
        """Decode the trigger, call the function, send outputs on success; never raises."""
        invocation_id, where = str(uuid.uuid4()), _file(invocation)
        log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)%s", function.name, invocation.reason,
                 invocation_id, where)  # fmt: skip
        started = time.perf_counter()
        try:
            value = self._call(function, invocation, invocation_id)
        except Exception as exc:
            duration = (time.perf_counter() - started) * 1000
            # The host's two lines for a failure: the summary, then the exception with its stack.
            log.error(
                _FAILED, function.name, invocation_id, duration, where, type(exc).__name__, exc, exc_info=exc
            )
            return InvocationResult(succeeded=False, error=exc, duration_ms=duration)
        duration = (time.perf_counter() - started) * 1000
        log.info(_SUCCEEDED, function.name, invocation_id, duration, where)
        return InvocationResult(succeeded=True, value=value, duration_ms=duration)

    def _call(self, function: IndexedFunction, invocation: Invocation, invocation_id: str) -> Any:
        kwargs: dict[str, Any] = {function.trigger["name"]: _trigger_input(function, invocation)}
        outs = {b["name"]: _Out() for b in function.outputs if b["name"] != "$return"}
        kwargs.update(outs)
        if function.wants_context:
            kwargs["context"] = InvocationContext(
                invocation_id, function.name, self._directory, invocation.trace_parent
            )
        if function.is_async:
            future = asyncio.run_coroutine_threadsafe(function.user_function(**kwargs), self._loop)
            value = future.result()
        else:
            value = function.user_function(**kwargs)
        # The host sends outputs only when the function returned; None means "nothing to send".
        for binding in function.outputs:
            result = value if binding["name"] == "$return" else outs[binding["name"]].get()
            if result is not None and binding["type"] != "http":
                self._outputs.send(function.name, binding, result)
        return value


def _trigger_input(function: IndexedFunction, invocation: Invocation) -> Any:
    if function.sdk_type is not None:  # a client the extension builds (sdk_types)
        return sdk_types.decode(function.trigger_type, invocation.data, invocation.metadata,
                                function.sdk_type)
    converter = meta.get_binding_registry().get(function.trigger_type)  # type: ignore[no-untyped-call]
    return converter.decode(invocation.data, trigger_metadata=invocation.metadata)


def _file(invocation: Invocation) -> str:
    return f" [file={invocation.file_id}]" if invocation.file_id else ""
