"""OpenTelemetry for the app: one trace per file, a span per step, `file_id` on every log line.

* `configure_telemetry()` (called once by function_app.py): with `APPLICATIONINSIGHTS_CONNECTION_STRING`
  set, Microsoft's distro (`configure_azure_monitor`, which also switches on the Azure SDKs' tracing and
  reads `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` for Entra-only ingestion); with `PIPELINE_TRACE_FILE`
  set (tests only), spans as JSON lines in that file; with neither, nothing (the API's no-op tracer).
* `step_span()`: the span of one function invocation, parented to the trace context the message carries.
  The Service Bus SDK writes that context itself (`Diagnostic-Id`/`traceparent` application properties)
  when it sends inside a span, so every hop continues the trace with no property of ours.
* `current_traceparent()`: the timeline stores it with each event, so a handler that receives no trace
  context (the blob-poison queue, the reconciler) resumes the file's trace from the timeline.
* `file_traceparent()`: the validator's blob trigger, which has neither a message context nor (on a
  first attempt) a timeline, parents to a root derived from the file id, so its retries need no read.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
TRACE_FILE_SETTING = "PIPELINE_TRACE_FILE"
TRACER_NAME = "payments.pipeline"
# Where a received message keeps its trace context: the SDK writes both, with bytes keys on the wire.
_CONTEXT_KEYS = ("traceparent", "Diagnostic-Id")
_file_id: contextvars.ContextVar[str] = contextvars.ContextVar("file_id", default="")
_filtered: list[logging.Handler] = []  # the root handlers that have the file-id filter
_configured = threading.Lock()
_done: list[str] = []
_propagator = TraceContextTextMapPropagator()


def configure_telemetry(environ: Mapping[str, str] | None = None) -> str:
    """Set up tracing and log dimensions once per process; returns what was configured."""
    env = os.environ if environ is None else environ
    with _configured:
        if _done:
            return _done[0]
        how = "none"
        if env.get(CONNECTION_STRING_SETTING, "").strip():
            how = _azure_monitor()
        elif env.get(TRACE_FILE_SETTING, "").strip():
            how = _trace_file(env[TRACE_FILE_SETTING])
        _install_file_id_filter()
        _done.append(how)
        return how


def _azure_monitor() -> str:
    from azure.monitor.opentelemetry import configure_azure_monitor

    if _already_configured():
        return "azure-monitor (configured by the worker)"
    configure_azure_monitor()
    return "azure-monitor"


def _already_configured() -> bool:
    from opentelemetry.sdk.trace import TracerProvider

    return isinstance(trace.get_tracer_provider(), TracerProvider)


def _trace_file(path: str) -> str:
    from azure.core.settings import settings
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from shared.telemetry_file import JsonLinesSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    trace.set_tracer_provider(provider)
    settings.tracing_implementation = "opentelemetry"  # the Azure SDKs' own spans and message context
    return f"file {path}"


class _FileIdFilter(logging.Filter):
    """Adds the current step's file id to every record that does not name one itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "file_id", ""):
            record.file_id = _file_id.get()
        return True


def _install_file_id_filter() -> None:
    # On the handlers, not the root logger: a logger's filters do not apply to its children's records.
    # A record factory would see every record, but it clashes with `extra={"file_id": ...}` (logging
    # refuses to overwrite an attribute), so handlers it is, checked again whenever a step starts in case
    # the worker added its own handler after the app was imported.
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, _FileIdFilter) for f in handler.filters):
            handler.addFilter(_FileIdFilter())
    _filtered[:] = list(root.handlers)


def current_file_id() -> str:
    return _file_id.get()


def current_traceparent() -> str:
    """The W3C traceparent of the current span, or "" when nothing is being traced."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent", "")


def context_from(properties: Mapping[Any, Any] | None, fallback: str = "") -> Context | None:
    """The trace context a message carries (str or bytes keys and values), else `fallback`'s, else None."""
    found = {str(k.decode() if isinstance(k, bytes) else k): v for k, v in (properties or {}).items()}
    for key in _CONTEXT_KEYS:
        value = found.get(key)
        if value:
            text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
            return _extract(text)
    return _extract(fallback) if fallback else None


def _extract(traceparent: str) -> Context | None:
    context = _propagator.extract({"traceparent": traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


@contextlib.contextmanager
def step_span(name: str, file_id: str = "", *, parent: Context | None = None,
              links_to: Sequence[str] = (), kind: SpanKind = SpanKind.CONSUMER) -> Iterator[Span]:
    """One step's span: `file_id` as an attribute and on every log line inside it; an exception is
    recorded and marks the span failed, then propagates (the trigger's retry semantics are unchanged)."""
    if logging.getLogger().handlers != _filtered:
        _install_file_id_filter()
    tracer = trace.get_tracer(TRACER_NAME)
    links = [Link(trace.get_current_span(c).get_span_context())
             for c in (_extract(t) for t in links_to if t) if c is not None]
    token = _file_id.set(file_id)
    try:
        with tracer.start_as_current_span(name, context=parent, kind=kind, links=links,
                                          record_exception=False, set_status_on_exception=False) as span:
            if file_id:
                span.set_attribute("file_id", file_id)
            try:
                yield span
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise
    finally:
        _file_id.reset(token)


def resume_file_trace(name: str, file_id: str, recorded: str) -> contextlib.AbstractContextManager[Span]:
    """A span in the file's own trace, for a handler that received no trace context: parented to the
    traceparent its timeline recorded (`timeline.trace_of`), else the root of a new trace for the file;
    linked to whatever is current (the reconciler's run), so the run still shows what it touched."""
    current = current_traceparent()
    parent = (_extract(recorded) if recorded else None) or Context()
    return step_span(name, file_id, parent=parent, links_to=[current] if current else [])


def file_traceparent(file_id: str) -> str:
    """The W3C traceparent of a file's own root, derived from its id alone: the validator's first attempt
    and every blob-trigger retry of it (the host carries no context between them) parent to it, so they
    are one trace without reading the timeline first. The root itself is never exported; its ids are
    sha256 of the file id, as random-looking as any others and unique per upload (the id is)."""
    digest = hashlib.sha256(f"trace\n{file_id}".encode()).hexdigest()
    trace_id, span_id = digest[:32], digest[32:48]
    if not int(trace_id, 16) or not int(span_id, 16):  # all zeros is invalid in W3C; never in practice
        return ""
    return f"00-{trace_id}-{span_id}-01"


def dump_span(span: Any) -> str:
    """One finished span as a JSON line (the file exporter's format, read by the e2e tests)."""
    context = span.get_span_context()
    parent = span.parent
    return json.dumps({
        "name": span.name,
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
        "parent_id": format(parent.span_id, "016x") if parent is not None else None,
        "kind": str(span.kind),
        "status": str(span.status.status_code),
        "attributes": {k: v if isinstance(v, str | int | float | bool) else str(v)
                       for k, v in (span.attributes or {}).items()},
        "links": [format(link.context.trace_id, "032x") for link in span.links],
    })
