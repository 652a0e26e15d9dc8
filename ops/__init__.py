"""The operator's tools, one front end for the local stack and a deployed environment (`python -m ops
--help`; the Makefile's status/list/dlq/replay/report/drop/reference targets call it): a file's status,
the files in flight, dropping a file, the dead letters, replay, re-making a report, uploading the
reference table and the smoke test. Never deployed (.funcignore)."""
