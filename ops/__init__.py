"""Operator tools for a deployed environment or the local stack: status, list, replay, dead-letter
browse and the smoke test (`python -m ops --help`). Never deployed (.funcignore)."""
