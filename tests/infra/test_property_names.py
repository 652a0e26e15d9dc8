"""The new monitoring resources' property names exist in the Azure management SDKs' models (offline).

No Bicep compiler can be installed here, so a misspelt property (`metricMeasureColum`) would only fail at
deployment. The SDKs' model attribute maps name every property of one API version; each literal object
in our Bicep is checked against the model it becomes. Expressions (`rule.query`) are values, not keys.
"""

from __future__ import annotations

from typing import Any

import pytest
from bicep_checks import body, one_resource

pytestmark = pytest.mark.infra
monitor = pytest.importorskip("azure.mgmt.monitor.models")
workbooks = pytest.importorskip("azure.mgmt.applicationinsights.v2023_06_01.models")
EXPRESSION_KEYS = {"operator", "function", "loop_type"}  # pycep's expression nodes, never ARM keys


def _names(model: Any, prefix: str = "") -> set[str]:
    keys = {str(v["key"]).replace("\\.", ".") for v in model._attribute_map.values()}
    return {k.removeprefix(prefix) for k in keys if k.startswith(prefix)}


def _literal_keys(node: Any) -> set[str]:
    if not isinstance(node, dict) or set(node) & EXPRESSION_KEYS:
        return set()
    return {str(k).strip("'") for k in node}  # pycep keeps the quotes of a quoted key ('odata.type')


def _check(node: Any, model: Any, where: str, prefix: str = "") -> None:
    unknown = _literal_keys(node) - _names(model, prefix) - {""}
    assert not unknown, f"{where}: {sorted(unknown)} are not properties of {model.__name__}"


def test_log_alert_properties(module_doc: Any) -> None:
    rule = body(one_resource(module_doc("log-alerts.bicep"), "Microsoft.Insights/scheduledQueryRules"))
    top = {k for k in rule if k != "properties"}
    assert top <= _names(monitor.ScheduledQueryRuleResource), top
    _check(rule["properties"], monitor.ScheduledQueryRuleResource, "scheduledQueryRules", "properties.")
    _check(rule["properties"]["criteria"], monitor.ScheduledQueryRuleCriteria, "criteria")
    [condition] = rule["properties"]["criteria"]["allOf"]
    _check(condition, monitor.Condition, "criteria.allOf[0]")
    _check(condition["failingPeriods"], monitor.ConditionFailingPeriods, "failingPeriods")
    _check(rule["properties"]["actions"], monitor.Actions, "actions")


@pytest.mark.parametrize("module", ["eventgrid-alert.bicep", "alerts.bicep"])
def test_metric_alert_properties(module: str, module_doc: Any) -> None:
    alert = body(one_resource(module_doc(module), "Microsoft.Insights/metricAlerts"))
    _check(alert["properties"], monitor.MetricAlertResource, module, "properties.")
    criteria = monitor.MetricAlertSingleResourceMultipleMetricCriteria
    _check(alert["properties"]["criteria"], criteria, "criteria")
    for criterion in alert["properties"]["criteria"]["allOf"]:
        _check(criterion, monitor.MetricCriteria, f"{module} allOf")
        for dimension in criterion["dimensions"]:
            _check(dimension, monitor.MetricDimension, "dimensions")


def test_workbook_properties(module_doc: Any) -> None:
    workbook = body(one_resource(module_doc("workbook.bicep"), "Microsoft.Insights/workbooks"))
    assert {k for k in workbook if k != "properties"} <= _names(workbooks.Workbook)
    _check(workbook["properties"], workbooks.Workbook, "workbook", "properties.")
