"""Access and security in infra/ (pycep-parser): keys and local auth off everywhere, no secrets in code or
outputs, least-privilege roles for the app's identity, Event Grid's dead-letter role, the dead-letter alert.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from bicep_checks import (
    REPO_ROOT,
    bicep_files,
    body,
    leaves,
    one_resource,
    parse_bicep,
    resources_of_type,
    strip_comments,
)

pytestmark = pytest.mark.infra

FILES = bicep_files()
SECRET_PATTERNS = (r"\blist\w*\(", "AccountKey=", "SharedAccessKey", "DefaultEndpointsProtocol")
# infra.md: the identity's roles, least privilege. role id -> the symbol of the scope it must have.
APP_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "storage",  # Storage Blob Data Owner
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "storage",  # Storage Queue Data Contributor
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "storage",  # Storage Table Data Contributor (payment index)
    "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": "namespace",  # Azure Service Bus Data Receiver
    "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": "namespace",  # Azure Service Bus Data Sender
    "3913510d-42f4-4e42-8a64-420c390055eb": "appInsights",  # Monitoring Metrics Publisher
}
SERVICE_BUS_DATA_OWNER = "090c5cfd-751d-490a-894a-3ce6f1109419"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


# --- security switches -------------------------------------------------------------------------------


def test_storage_is_locked_to_entra_id(module_doc: Any) -> None:
    account = body(one_resource(module_doc("storage.bicep"), "Microsoft.Storage/storageAccounts"))
    props = account["properties"]
    assert account["kind"] == "StorageV2"
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True


def test_service_bus_is_standard_with_local_auth_off(module_doc: Any) -> None:
    namespace = body(one_resource(module_doc("servicebus.bicep"), "Microsoft.ServiceBus/namespaces"))
    assert namespace["sku"]["name"] == "Standard"
    assert namespace["properties"]["disableLocalAuth"] is True


def test_monitoring_has_local_auth_off(module_doc: Any) -> None:
    doc = module_doc("monitoring.bicep")
    insights = body(one_resource(doc, "Microsoft.Insights/components"))
    assert insights["properties"]["DisableLocalAuth"] is True
    assert "logAnalytics" in set(leaves(insights["properties"]["WorkspaceResourceId"])), "not workspace-based"
    workspace = body(one_resource(doc, "Microsoft.OperationalInsights/workspaces"))
    assert workspace["properties"]["features"]["disableLocalAuth"] is True


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_no_keys_or_connection_strings(path: Path) -> None:
    code = strip_comments(path.read_text())
    for pattern in SECRET_PATTERNS:
        assert not re.search(pattern, code), f"{_rel(path)} uses {pattern!r}: only identity-based access"
    for name, output in parse_bicep(path).get("outputs", {}).items():
        decorators = {d["type"] for d in output.get("decorators", [])}
        assert "secure" not in decorators, f"{_rel(path)}: output {name} is marked secure (a secret?)"


# --- role assignments --------------------------------------------------------------------------------


def _role_id(expression: Any, role_vars: dict[str, str]) -> str:
    """The GUID a roleDefinitionId expression names, through the module's roleIds variable if used."""
    for leaf in leaves(expression):
        if isinstance(leaf, str) and leaf in role_vars:
            return role_vars[leaf]
        if isinstance(leaf, str) and re.fullmatch(r"[0-9a-f-]{36}", leaf):
            return leaf
    raise AssertionError(f"cannot tell which role {expression!r} names")


def test_app_identity_roles_are_least_privilege(module_doc: Any) -> None:
    doc = module_doc("role-assignments.bicep")
    role_vars: dict[str, str] = doc["variables"]["roleIds"]["value"]
    granted: dict[str, str] = {}
    for symbol, declaration in resources_of_type(doc, "Microsoft.Authorization/roleAssignments").items():
        assignment = body(declaration)
        role = _role_id(assignment["properties"]["roleDefinitionId"], role_vars)
        assert role != SERVICE_BUS_DATA_OWNER, f"{symbol} grants Service Bus Data Owner"
        assert assignment["name"]["function"]["type"] == "guid", f"{symbol} name is not guid(...)"
        if assignment["properties"]["principalId"] == "identityPrincipalId":
            assert assignment["properties"]["principalType"] == "ServicePrincipal", symbol
            granted[role] = assignment["scope"]
    assert granted == APP_ROLES, f"the app identity's roles differ from infra.md: {granted}"


def test_event_grid_topic_and_dead_letter_role(module_doc: Any) -> None:
    doc = module_doc("eventgrid.bicep")
    topic = body(one_resource(doc, "Microsoft.EventGrid/systemTopics"))
    assert topic["properties"]["topicType"] == "Microsoft.Storage.StorageAccounts"
    assert {"storage", "id"} <= set(leaves(topic["properties"]["source"])), "the source is not storage.id"
    assert topic["identity"]["type"] == "SystemAssigned"
    role = body(one_resource(doc, "Microsoft.Authorization/roleAssignments"))
    assert role["scope"] == "deadLetterContainer", "the topic may write to the dead-letter container only"
    assert role["properties"]["principalType"] == "ServicePrincipal"


# --- dead-letter alert -------------------------------------------------------------------------------


def test_dead_letter_alert_per_entity(module_doc: Any, main_doc: dict[str, Any]) -> None:
    doc = module_doc("alerts.bicep")
    alert = body(one_resource(doc, "Microsoft.Insights/metricAlerts"))
    [criterion] = alert["properties"]["criteria"]["allOf"]
    assert criterion["metricName"] == "DeadletteredMessages"
    assert criterion["metricNamespace"] == "Microsoft.ServiceBus/namespaces"
    assert criterion["operator"] == "GreaterThan"
    assert criterion["threshold"] == 0
    assert [d["name"] for d in criterion["dimensions"]] == ["EntityName"]
    assert criterion["dimensions"][0]["values"] == ["*"], "one alert series per entity"
    group = body(one_resource(doc, "Microsoft.Insights/actionGroups"))
    assert group["properties"]["emailReceivers"][0]["emailAddress"] == "alertEmail"
    assert body(main_doc["modules"]["alerts"])["params"]["alertEmail"] == "alertEmail"
