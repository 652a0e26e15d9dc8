"""The live journey display: a table redrawn in place on a terminal, one line per change otherwise."""

from __future__ import annotations

import shutil
import sys
from typing import TextIO

from localdev.stack.journey import FileJourney

_MARK = {"delivered": "✔", "rejected": "✘", "duplicate": "≡", "failed": "✖"}


def row(journey: FileJourney) -> str:
    mark = _MARK.get(journey.state, "…")
    expected = ""
    if journey.expected and journey.terminal:
        expected = "" if journey.state == journey.expected else f" (expected {journey.expected}!)"
    output = f"  ⇒ {journey.output}" if journey.output else ""
    name = journey.blob_name or journey.file_id
    return f"{mark} {name:<48} {journey.state:<11}{expected} {journey.steps()}{output}"


class Display:
    """Shows journeys; `live` redraws a table (TTY), otherwise prints each change once."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.live = out.isatty()
        self._drawn = 0

    def update(self, journeys: list[FileJourney], changed: list[FileJourney]) -> None:
        if self.live:
            self._redraw(journeys)
        else:
            for journey in changed:
                print(row(journey), file=self.out, flush=True)

    def message(self, text: str) -> None:
        if self.live and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0
        print(text, file=self.out, flush=True)

    def _redraw(self, journeys: list[FileJourney]) -> None:
        width = shutil.get_terminal_size((160, 20)).columns
        lines = [f"{'':2}{'FILE':<48} {'STATE':<11} STEPS (time since received)  ⇒ OUTPUT"]
        lines += [row(j)[: width - 1] for j in journeys]
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
            print(row(journey), file=self.out)
        self.out.flush()
