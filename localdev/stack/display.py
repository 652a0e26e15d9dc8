"""The live journey display: a table redrawn in place on a terminal, one line per change otherwise."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from localdev.stack.journey import FileJourney
from localdev.stack.summary_text import summary_lines

DETAIL_LINES = 3  # the first errors of a rejected file, under its row; `make status` shows the rest

_MARK = {"delivered": "✔", "rejected": "✘", "duplicate": "≡", "failed": "✖"}


class _Guarded:
    """A text stream whose writes stop quietly once the terminal behind it is gone."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self.stream.write(text)
            except OSError:  # EIO or EPIPE: nobody is reading any more
                self.gone = True
        return 0

    def flush(self) -> None:
        if not self.gone:
            try:
                self.stream.flush()
            except OSError:
                self.gone = True


def row(journey: FileJourney) -> str:
    mark = _MARK.get(journey.state, "…")
    expected = ""
    if journey.expected and journey.terminal:
        expected = "" if journey.state == journey.expected else f" (expected {journey.expected}!)"
    output = f"  ⇒ {journey.output}" if journey.output else ""
    name = journey.blob_name or journey.file_id
    label = journey.state.replace("_", " ")  # the timeline's `in_progress`, for people
    return f"{mark} {name:<48} {label:<11}{expected} {journey.steps()}{output}"


def rows(journey: FileJourney) -> list[str]:
    """The journey's row, and under a finished one what went wrong (or was changed), briefly."""
    details = summary_lines(journey.summary, DETAIL_LINES) if journey.complete else []
    return [row(journey), *(f"    {line}" for line in details)]


class Display:
    """Shows journeys; `live` redraws a table (TTY), otherwise prints each change once.

    Output to a terminal that has gone away (SIGHUP, a closed window) is dropped rather than raised: the
    stack must still stop cleanly behind it."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = _Guarded(out)
        self.live = out.isatty()
        self._drawn = 0

    def update(self, journeys: list[FileJourney], changed: list[FileJourney]) -> None:
        if self.live:
            self._redraw(journeys)
            return
        for journey in changed:
            # terminal.json lands just before its timeline event: print a finished file once, when complete.
            if journey.terminal is None or journey.complete:
                print("\n".join(rows(journey)), file=self.out, flush=True)

    def message(self, text: str) -> None:
        if self.live and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0
        print(text, file=self.out, flush=True)

    def _redraw(self, journeys: list[FileJourney]) -> None:
        width = shutil.get_terminal_size((160, 20)).columns
        lines = [f"{'':2}{'FILE':<48} {'STATE':<11} STEPS (time since received)  ⇒ OUTPUT"]
        lines += [line[: width - 1] for j in journeys for line in rows(j)]
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._drawn = len(lines)

    def summary(self, journeys: list[FileJourney]) -> None:
        """The final table, printed in full (also when not on a terminal)."""
        if self.live and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0
        for journey in journeys:
            print("\n".join(rows(journey)), file=self.out)
        self.out.flush()
