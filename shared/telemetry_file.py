"""A span exporter that appends each finished span to a file as one JSON line (`PIPELINE_TRACE_FILE`).

For tests and local runs only: it lets an end-to-end test read every span the devhost's processes
produced, through the same SDK pipeline Azure Monitor's exporter sits in. Several processes may append to
one file; each line is written with one `write` on a file opened for appending, so lines never interleave.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class JsonLinesSpanExporter(SpanExporter):
    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        from shared.telemetry import dump_span

        lines = "".join(dump_span(span) + "\n" for span in spans)
        with self._lock, open(self._path, "a", encoding="utf-8") as out:
            out.write(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None
