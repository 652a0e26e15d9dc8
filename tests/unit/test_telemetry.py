"""shared/telemetry.py with OpenTelemetry's in-memory exporter: a step's span carries the file id, a
message's trace context is continued whichever way its keys are spelled, a failure marks the span, and
every log line inside a step carries `file_id`."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from shared.telemetry import (
    _FileIdFilter,
    context_from,
    current_traceparent,
    file_traceparent,
    resume_file_trace,
    step_span,
)

pytestmark = pytest.mark.unit
PARENT = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
_exporter = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if not getattr(provider, "_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        provider._test_exporter = True  # type: ignore[attr-defined]  # one processor per process
    _exporter.clear()
    yield _exporter


@pytest.mark.parametrize("properties", [{"traceparent": PARENT}, {b"traceparent": PARENT.encode()},
                                        {b"Diagnostic-Id": PARENT.encode()}])
def test_a_step_continues_the_trace_its_message_carries(spans: InMemorySpanExporter,
                                                         properties: dict[object, object]) -> None:
    with step_span("FileAdaptor", "acme.x.0000000a", parent=context_from(properties)):
        inner = current_traceparent()
    (span,) = spans.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "a" * 32
    assert span.attributes is not None and span.attributes["file_id"] == "acme.x.0000000a"
    assert inner.split("-")[1] == "a" * 32


def test_a_failure_marks_the_span_and_still_raises(spans: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError), step_span("FileCreator", "acme.x.0000000a"):
        raise ValueError("boom")
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.events[0].name == "exception"


def test_a_handler_without_context_resumes_the_recorded_trace_and_links_the_current(
        spans: InMemorySpanExporter) -> None:
    with step_span("Reconciler", parent=Context()), resume_file_trace("Reconciler.fail", "acme.x.0000000a",
                                                                       PARENT):
        pass
    fail, run = spans.get_finished_spans()
    assert format(fail.context.trace_id, "032x") == "a" * 32
    assert [link.context.trace_id for link in fail.links] == [run.context.trace_id]


def test_without_a_recorded_trace_a_file_gets_a_trace_of_its_own(spans: InMemorySpanExporter) -> None:
    with step_span("Reconciler", parent=Context()), resume_file_trace("Reconciler.unseen", "f.x.0000000a",
                                                                       ""):
        pass
    unseen, run = spans.get_finished_spans()
    assert unseen.context.trace_id != run.context.trace_id and unseen.parent is None


def test_every_attempt_of_the_validator_is_in_the_files_own_trace_without_a_read(
        spans: InMemorySpanExporter) -> None:
    for _ in range(2):  # a first attempt and the host's retry, which carries no context
        with resume_file_trace("FileValidator", "acme.x.0000000a", file_traceparent("acme.x.0000000a")):
            pass
    with resume_file_trace("FileValidator", "acme.y.0000000b", file_traceparent("acme.y.0000000b")):
        pass
    first, retry, other = spans.get_finished_spans()
    assert first.context.trace_id == retry.context.trace_id != other.context.trace_id
    assert first.context.span_id != retry.context.span_id
    assert format(first.context.trace_id, "032x") == file_traceparent("acme.x.0000000a").split("-")[1]


def test_every_log_line_inside_a_step_carries_the_file_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(_FileIdFilter())
    caplog.set_level(logging.INFO)
    log = logging.getLogger("shared.handlers.any")
    with step_span("FileAdaptor", "acme.x.0000000a"):
        log.info("inside")
        log.info("explicit", extra={"file_id": "other.y.0000000b"})
    log.info("outside")
    seen = [getattr(r, "file_id", None) for r in caplog.records]
    assert seen == ["acme.x.0000000a", "other.y.0000000b", ""]


def test_untraced_code_records_no_traceparent() -> None:
    assert current_traceparent() == ""


def test_a_handler_added_after_configuration_gets_the_file_id_too() -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    late = Collect()
    root = logging.getLogger()
    root.addHandler(late)  # as the worker may do after the app was imported
    try:
        with step_span("FileCreator", "acme.x.0000000a"):
            logging.getLogger("shared.handlers.creator").warning("late handler")
    finally:
        root.removeHandler(late)
    assert [getattr(r, "file_id", None) for r in records] == ["acme.x.0000000a"]
