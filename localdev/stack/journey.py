"""Each file's journey through the pipeline, from its timeline: steps with timings, terminal state, output.

Files are known either because the stack dropped them (their file id is computed from the blob name and
ETag, exactly as the validator computes it) or because a timeline appeared for them under
`workflow/timeline/` (files the user dropped some other way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from azure.storage.blob import BlobPrefix, BlobServiceClient

from shared.adapters.azure_blob import AzureBlobStore
from shared.contracts.timeline import FileState, TerminalRecord, TimelineEvent
from shared.handlers.identity import incoming_file_id
from shared.handlers.status import file_status, summarise
from shared.topology import WORKFLOW_CONTAINER


@dataclass
class FileJourney:
    """What is known about one file so far."""

    file_id: str
    blob_name: str
    expected: str | None = None
    events: list[TimelineEvent] = field(default_factory=list)
    terminal: TerminalRecord | None = None
    summary: dict[str, object] = field(default_factory=dict)  # read once, when the journey completes

    @property
    def state(self) -> FileState | Literal["waiting"]:
        """The timeline's state (`in_progress` once any event is there); `waiting` before the first."""
        if self.terminal:
            return self.terminal["state"]
        return "in_progress" if self.events else "waiting"

    @property
    def complete(self) -> bool:
        """Terminal, with its terminal event on the timeline too (written just after terminal.json)."""
        return self.terminal is not None and any(e.get("event") == self.state for e in self.events)

    @property
    def output(self) -> str:
        terminal = self.terminal
        if terminal is not None and (terminal.get("output") or terminal.get("report")):
            return str(terminal.get("output") or terminal.get("report"))
        return f"failed/{self.file_id}/" if self.state == "failed" else ""

    def steps(self) -> str:
        """`received 0.00s → validated +0.21s → …`, repeated failures folded into `step_failedx5`."""
        if not self.events:
            return ""
        start = _when(self.events[0])
        parts: list[str] = []
        previous, repeats = "", 0
        for event in self.events:
            name = str(event.get("event"))
            if name == previous:
                repeats += 1
                parts[-1] = f"{name}x{repeats + 1} +{(_when(event) - start).total_seconds():.2f}s"
                continue
            previous, repeats = name, 0
            parts.append(f"{name} +{(_when(event) - start).total_seconds():.2f}s")
        return " → ".join(parts)

    def latency(self) -> float | None:
        if not self.events or not self.terminal:
            return None
        return (_when(self.events[-1]) - _when(self.events[0])).total_seconds()


def _when(event: TimelineEvent) -> datetime:
    return datetime.fromisoformat(str(event["occurred_at"]))


class JourneyTracker:
    """Polls the timelines of the files it knows about, and discovers new ones."""

    def __init__(self, service: BlobServiceClient) -> None:
        self._store = AzureBlobStore(service)
        self._workflow = service.get_container_client(WORKFLOW_CONTAINER)
        self.files: dict[str, FileJourney] = {}

    def expect(self, blob_name: str, etag: str, expected: str | None = None) -> FileJourney:
        journey = FileJourney(incoming_file_id(blob_name, etag), blob_name, expected)
        self.files[journey.file_id] = journey
        return journey

    def discover(self) -> None:
        for item in self._workflow.walk_blobs(name_starts_with="timeline/", delimiter="/"):
            if isinstance(item, BlobPrefix):
                file_id = item.name.removeprefix("timeline/").strip("/")
                self.files.setdefault(file_id, FileJourney(file_id, ""))

    def refresh(self) -> list[FileJourney]:
        """Re-read every unfinished file; return the ones that changed."""
        changed = []
        for journey in list(self.files.values()):
            if journey.complete:
                continue
            status = file_status(self._store, journey.file_id, details=False)
            if status is None:
                continue
            if len(status["events"]) != len(journey.events) or status["terminal"] != journey.terminal:
                journey.events, journey.terminal = status["events"], status["terminal"]
                if not journey.blob_name:
                    journey.blob_name = next(
                        (str(e["blob_name"]) for e in journey.events if e.get("blob_name")), journey.file_id
                    )
                if journey.complete:
                    journey.summary = summarise(self._store, journey.state, journey.terminal or {},
                                                journey.events)  # fmt: skip
                changed.append(journey)
        return changed

    def unfinished(self) -> list[FileJourney]:
        return [j for j in self.files.values() if not j.complete]
