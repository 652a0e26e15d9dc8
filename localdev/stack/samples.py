"""The bundled samples and the terminal state each must reach (`samples/expected.json`, owned by samples/)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from localdev.stack.processes import StackError

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@dataclass(frozen=True)
class Sample:
    """One file under samples/incoming/<sender>/ and its expected terminal state."""

    path: Path
    blob_name: str
    expected: str


def guess_expected(blob_name: str) -> str:
    """For a sample missing from expected.json: its name says what it shows."""
    lowered = blob_name.lower()
    if "duplicate" in lowered:
        return "duplicate"
    if any(word in lowered for word in ("boom", "fail")):
        return "failed"
    if any(word in lowered for word in ("error", "invalid", "suspended", "reject")):
        return "rejected"
    return "delivered"


def load_samples(root: Path = SAMPLES) -> list[Sample]:
    incoming = root / "incoming"
    if not incoming.is_dir():
        raise StackError(f"No samples folder at {incoming}.")
    expected_file = root / "expected.json"
    expected: dict[str, str] = json.loads(expected_file.read_text()) if expected_file.exists() else {}
    samples = []
    for path in sorted(incoming.glob("*/*")):
        if path.is_file() and not path.name.startswith("."):
            name = f"{path.parent.name}/{path.name}"
            samples.append(Sample(path, name, expected.get(name) or guess_expected(name)))
    return samples
