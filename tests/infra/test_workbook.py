"""The workbook: every tile runs a query file that exists, every workbook query has a tile, and the
terminal-state tile matches the line the timeline really writes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from bicep_checks import INFRA_DIR, body, one_resource

pytestmark = pytest.mark.infra
QUERIES = INFRA_DIR / "queries"


def test_every_tile_runs_an_existing_query_and_every_workbook_query_has_a_tile(module_doc: Any) -> None:
    doc = module_doc("workbook.bicep")
    tiles = doc["variables"]["tiles"]["value"]
    files = {str(t["query"]["function"]["parameters"]["file_path"]).removeprefix("../queries/")
             for t in tiles}
    assert all((QUERIES / name).is_file() for name in files), files
    assert {p.name for p in QUERIES.glob("workbook-*.kql")} <= files
    workbook = body(one_resource(doc, "Microsoft.Insights/workbooks"))
    assert workbook["kind"] == "shared" and workbook["properties"]["sourceId"] == "appInsightsId"


def test_main_deploys_the_workbook_over_application_insights(main_doc: dict[str, Any]) -> None:
    params = body(main_doc["modules"]["workbook"])["params"]
    assert "appInsightsId" in str(params["appInsightsId"])


def test_the_terminal_state_tile_matches_the_timelines_line(caplog: pytest.LogCaptureFixture) -> None:
    from shared.handlers.timeline import write_terminal
    from tests.fakes import FakeBlobStore, FakeClock

    caplog.set_level(logging.INFO)
    write_terminal(FakeBlobStore(), FakeClock(), "acme.x.0000000a", "delivered")
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("file ended: "))
    query = (QUERIES / "workbook-terminal-states.kql").read_text()
    assert 'parse message with "file ended: " state " " file_id' in query
    state, file_id = line.removeprefix("file ended: ").split(" ", 1)
    assert (state, file_id) == ("delivered", "acme.x.0000000a")
