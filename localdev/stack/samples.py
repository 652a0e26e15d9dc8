"""The bundled samples the stack drops, the terminal state each must reach, and their dates moved to today.

`samples/expected.json` (owned by samples/) names every sample: a file under `samples/incoming/` that it
does not name (a dry run's XML, an editor's backup) is never dropped, only reported. Its
`_dates_valid_until` is the last bank date on which the samples are valid as written; later, each sample's
execution dates move forward by whole weeks (`sample_dates`), so `make run` works on any day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from localdev.stack.processes import StackError
from localdev.stack.sample_dates import shift_execution_dates, weeks_to_shift
from shared.contracts.timeline import TERMINAL_STATES

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
VALID_UNTIL_KEY = "_dates_valid_until"


@dataclass(frozen=True)
class Sample:
    """One file under samples/incoming/<sender>/, its expected terminal state and the bytes to drop."""

    path: Path
    blob_name: str
    expected: str
    content: bytes


@dataclass(frozen=True)
class SampleSet:
    """The samples for one bank date, and what the stack should tell the user about them."""

    samples: list[Sample]
    weeks_shifted: int = 0
    valid_until: date | None = None
    ignored: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        notes = []
        if self.weeks_shifted and self.valid_until is not None:
            first = self.valid_until + timedelta(days=1)
            notes.append(
                f"the samples' execution dates are valid as written until {self.valid_until}; they were "
                f"moved forward {self.weeks_shifted} weeks for today's window ({first} is now "
                f"{first + timedelta(weeks=self.weeks_shifted)}; the files under samples/ are unchanged)"
            )
        notes += [f"{name} is not named in samples/expected.json, so it was not dropped" for name in
                  self.ignored]
        return notes


def load_samples(today: date, root: Path = SAMPLES) -> SampleSet:
    """Every sample expected.json names, with execution dates moved forward when `today` needs it."""
    incoming = root / "incoming"
    table = _read_expected(root / "expected.json")
    valid_until = _valid_until(table)
    weeks = weeks_to_shift(today, valid_until)
    samples = []
    for name, state in table.items():
        if name.startswith("_"):
            continue
        if state not in TERMINAL_STATES:
            raise StackError(
                f"samples/expected.json: {name!r} expects {state!r}; use one of {', '.join(TERMINAL_STATES)}."
            )
        path = incoming / name
        if not path.is_file():
            raise StackError(f"samples/expected.json names {name}, but {path} is missing: restore it.")
        samples.append(Sample(path, name, state, shift_execution_dates(path.read_bytes(), weeks)))
    named = {s.blob_name for s in samples}
    ignored = sorted(
        f"{p.parent.name}/{p.name}"
        for p in incoming.glob("*/*")
        if p.is_file() and not p.name.startswith(".") and f"{p.parent.name}/{p.name}" not in named
    )
    return SampleSet(samples, weeks, valid_until, ignored)


def _read_expected(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise StackError(f"No {path}: restore it from git, or pass --no-samples.")
    try:
        table = json.loads(path.read_text())
    except ValueError as exc:
        raise StackError(f"{path} is not valid JSON ({exc}); restore it from git.") from exc
    if not isinstance(table, dict):
        raise StackError(f"{path} must be a JSON object of sample name -> expected state.")
    return table


def _valid_until(table: dict[str, Any]) -> date:
    raw = table.get(VALID_UNTIL_KEY)
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise StackError(
            f"samples/expected.json needs {VALID_UNTIL_KEY}: the last date (YYYY-MM-DD) on which the "
            f"samples' execution dates are valid as written; found {raw!r}."
        ) from exc
