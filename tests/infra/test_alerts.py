"""The alerts fire on what the app really logs: each query matches the signal lines' exact shape, each
rule reads an existing query and notifies the action group, and Event Grid's own metric is watched.

A log alert that matches nothing never fires and never fails, so the shapes are pinned here against the
code that writes them (shared/signals.py, the reconciler's run line), not against prose."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from bicep_checks import INFRA_DIR, body, one_resource

pytestmark = pytest.mark.infra
QUERIES = INFRA_DIR / "queries"


def _rules(module_doc: Any) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = module_doc("log-alerts.bicep")["variables"]["rules"]["value"]
    return rules


def _query_file(rule: dict[str, Any]) -> str:
    return str(rule["query"]["function"]["parameters"]["file_path"]).removeprefix("../queries/")


def _kql_parse_to_regex(kql: str) -> re.Pattern[str]:
    """`parse message with "a " x:long " b"` as a regex: the one pattern the repair queries depend on."""
    pattern = re.search(r'parse message with (.+)', kql)
    assert pattern, "no parse statement"
    parts = re.findall(r'"([^"]*)"|(\w+):long', pattern.group(1))
    regex = "".join(re.escape(text) if text else rf"(?P<{name}>\d+)" for text, name in parts)
    return re.compile(regex)


def test_every_rule_reads_an_existing_query_and_notifies_the_action_group(module_doc: Any) -> None:
    rules = _rules(module_doc)
    assert {r["name"] for r in rules} == {"needs-attention", "reconciler-repairs", "eventgrid-dead-lettered",
                                          "function-failures", "reconciler-silent"}
    for rule in rules:
        query = _query_file(rule)
        assert (QUERIES / query).is_file(), f"{rule['name']}: no infra/queries/{query}"
        if rule["aggregation"] == "Total":
            assert rule["measure"], f"{rule['name']}: a Total needs the column it sums"
    alert = body(one_resource(module_doc("log-alerts.bicep"), "Microsoft.Insights/scheduledQueryRules"))
    assert "actionGroupId" in str(alert["properties"]["actions"])
    assert alert["properties"]["scopes"] == ["appInsightsId"]
    assert alert["location"] == "location", "a log alert lives in its scope's region, not 'global'"


def test_main_routes_every_alert_to_the_one_action_group(main_doc: dict[str, Any]) -> None:
    for module in ("logAlerts", "eventGridAlert"):
        params = body(main_doc["modules"][module])["params"]
        assert "actionGroupId" in str(params["actionGroupId"]) and "alerts" in str(params["actionGroupId"])


def test_the_needs_attention_query_extracts_every_signal_from_its_real_line(caplog: pytest.LogCaptureFixture
                                                                              ) -> None:
    from shared import signals

    query = (QUERIES / "needs-attention.kql").read_text()
    assert f'startswith "{signals.PREFIX} "' in query
    caplog.set_level(logging.ERROR)
    for signal in signals.SIGNALS:
        signals.alert(logging.getLogger("t"), signal, "file %s", "x", file_id="x")
        message = caplog.records[-1].getMessage()
        # The query's `split(message, " ")[1]` trimmed of ':'
        assert message.split(" ")[1].rstrip(":") == signal
        assert signal in query, f"name {signal} in needs-attention.kql's header: a reader sees it is covered"


@pytest.mark.parametrize(("query", "column"), [("reconciler-repairs.kql", "repairs"),
                                               ("eventgrid-dead-lettered.kql", "eventgrid")])
def test_the_repair_queries_parse_the_reconcilers_real_run_line(query: str, column: str,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    from shared.handlers.reconcile.policy import ReconcileReport
    from shared.handlers.reconcile.run import SWEEPS, reconcile
    from tests.fakes import make_services

    services, blobs, _, _ = make_services()
    caplog.set_level(logging.INFO)
    assert SWEEPS
    blobs.put("eventgrid-deadletter", "t/x.json", b"[{\"eventType\": \"Other\"}]")
    report: ReconcileReport = reconcile(services)
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("reconciler run:"))
    match = _kql_parse_to_regex((QUERIES / query).read_text()).fullmatch(line)
    assert match, f"{query} does not parse {line!r}"
    assert int(match.group(column)) == report.as_dimensions()[column if column == "repairs" else
                                                               "eventgrid_dead_lettered"]


def test_the_reconciler_queries_name_the_real_function() -> None:
    from tests.app_functions import by_name

    assert "Reconciler" in by_name()
    assert '"Reconciler"' in (QUERIES / "reconciler-silent.kql").read_text()


def test_event_grids_own_dead_letter_count_is_watched(module_doc: Any) -> None:
    alert = body(one_resource(module_doc("eventgrid-alert.bicep"), "Microsoft.Insights/metricAlerts"))
    [criterion] = alert["properties"]["criteria"]["allOf"]
    assert criterion["metricNamespace"] == "Microsoft.EventGrid/systemTopics"
    assert criterion["metricName"] == "DeadLetteredCount" and criterion["timeAggregation"] == "Total"
    assert criterion["dimensions"][0]["name"] == "EventSubscriptionName"


def test_the_eventgrid_dead_letter_container_is_the_reconcilers(main_doc: dict[str, Any]) -> None:
    from shared.topology import EVENTGRID_DEADLETTER_CONTAINER as READ

    assert main_doc["variables"]["eventGridDeadLetterContainerName"]["value"] == READ
