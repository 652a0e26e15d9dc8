"""Structural checks of infra/ with pycep-parser: what `bicep build` would not catch, and some it would.

Wiring between files (module params and outputs, unused symbols), the Flex Consumption shape,
identity-only app settings with none of the Flex-forbidden names, the containers and the parameters
file. Access and security are in test_bicep_access.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from app_bindings import AppIndex
from bicep_checks import (
    INFRA_DIR,
    MAIN_BICEP,
    REPO_ROOT,
    bicep_files,
    body,
    leaves,
    loop_source,
    one_resource,
    parse_bicep,
    strip_comments,
)
from bicep_wiring import module_output_problems, module_param_problems, unused_symbol_problems

pytestmark = pytest.mark.infra

FILES = bicep_files()
FLEX_FORBIDDEN_SETTINGS = (
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
)
STORAGE_BINDING_TYPES = {"blob", "blobTrigger", "queue", "queueTrigger", "table"}


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


# --- every file parses, and the files fit together ---------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_pycep_parses(path: Path) -> None:
    doc = parse_bicep(path)
    assert doc.get("resources") or doc.get("modules"), f"{_rel(path)} declares nothing"


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_modules_params_and_outputs_fit(path: Path) -> None:
    problems = module_param_problems(path) + module_output_problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_no_unused_params_vars_or_existing_resources(path: Path) -> None:
    problems = unused_symbol_problems(path)
    assert not problems, "\n".join(problems)


def test_wiring_checks_catch_broken_copies(tmp_path: Path) -> None:
    """The cross-file checks fail on a copy of infra/ with one mistake of each kind."""
    copy = tmp_path / "infra"
    shutil.copytree(INFRA_DIR, copy)
    main = copy / "main.bicep"
    text = main.read_text()
    text = text.replace("    serviceName: 'api'\n", "    serviceName: 'api'\n    colour: 'blue'\n", 1)
    text = text.replace("    alertName: 'alert-deadlettered-${resourceToken}'\n", "", 1)
    text = text.replace("functionApp.outputs.defaultHostName", "functionApp.outputs.hostName", 1)
    text += "\nparam forgotten string = 'x'\n"
    main.write_text(text)

    problems = module_param_problems(main) + module_output_problems(main) + unused_symbol_problems(main)

    assert sorted(problems) == [
        "main.bicep: module alerts does not pass required param 'alertName'",
        "main.bicep: module functionApp has no output 'hostName'",
        "main.bicep: module functionApp passes undeclared param 'colour'",
        "main.bicep: param forgotten is declared but never used",
    ]


# --- Flex Consumption plan and function app ----------------------------------------------------------


def test_plan_is_flex_consumption(module_doc: Any) -> None:
    plan = body(one_resource(module_doc("function-app.bicep"), "Microsoft.Web/serverfarms"))
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True


def test_function_app_shape(module_doc: Any) -> None:
    doc = module_doc("function-app.bicep")
    app = body(one_resource(doc, "Microsoft.Web/sites"))
    assert app["kind"] == "functionapp,linux"
    assert app["identity"]["type"] == "UserAssigned"
    assert list(app["identity"]["userAssignedIdentities"]) == ["'${identityId}'"]
    props = app["properties"]
    assert props["httpsOnly"] is True
    assert "appSettings" not in props.get("siteConfig", {}), "settings belong in the sites/config resource"
    config = props["functionAppConfig"]
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["value"] == "${blobEndpoint}${deploymentContainerName}"
    assert storage["authentication"] == {
        "type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"}
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert set(config["scaleAndConcurrency"]) == {"maximumInstanceCount", "instanceMemoryMB"}
    assert doc["parameters"]["instanceMemoryMB"]["default"] == 2048
    assert app["tags"]["function"]["parameters"]["arg_2"] == {"'azd-service-name'": "serviceName"}


def test_azd_service_name_matches_azure_yaml(main_doc: dict[str, Any]) -> None:
    service = body(main_doc["modules"]["functionApp"])["params"]["serviceName"]
    azure_yaml = (REPO_ROOT / "azure.yaml").read_text()
    services = re.search(r"^services:\n((?:[ ].*\n)+)", azure_yaml, re.M)
    assert services, "azure.yaml has no services section"
    assert re.search(rf"^  {re.escape(service)}:\n", services.group(1), re.M), (
        f"main.bicep tags the app azd-service-name={service!r} but azure.yaml has no such service")


def test_identity_is_wired_through_main(main_doc: dict[str, Any]) -> None:
    params = body(main_doc["modules"]["functionApp"])["params"]
    for param, output in (("identityId", "id"), ("identityClientId", "clientId")):
        assert {"identity", "outputs", output} <= set(leaves(params[param])), (
            f"function app param {param} is not identity.outputs.{output}")


# --- app settings ------------------------------------------------------------------------------------


def _expected_connections(app_index: AppIndex, topology: Any) -> dict[str, str]:
    """Connection setting -> 'servicebus' or 'storage', from the app's bindings when it can be indexed,
    plus the names shared/topology declares (our own SDK clients use those)."""
    kinds = {
        topology.SERVICE_BUS_SETTING: "servicebus",
        topology.PAYMENTS_STORAGE_SETTING: "storage",
        topology.HOST_STORAGE_SETTING: "storage",
    }
    for name, types in app_index.connections().items():
        kinds[name] = "servicebus" if any(t.startswith("serviceBus") for t in types) else "storage"
        assert types <= STORAGE_BINDING_TYPES or all(t.startswith("serviceBus") for t in types), (
            f"connection {name} is used by bindings of several services: {sorted(types)}")
    return kinds


def test_every_connection_has_identity_settings(
        app_settings: dict[str, Any], app_index: AppIndex, topology: Any) -> None:
    for name, kind in _expected_connections(app_index, topology).items():
        address = f"{name}__fullyQualifiedNamespace" if kind == "servicebus" else f"{name}__accountName"
        for key in (address, f"{name}__credential", f"{name}__clientId"):
            assert key in app_settings, f"connection {name!r} needs app setting {key}"
        assert name not in app_settings, f"{name} is set as a connection string; use {name}__* settings"
        assert app_settings[f"{name}__credential"] == "managedidentity"
        assert app_settings[f"{name}__clientId"] == "identityClientId"


def test_monitoring_and_trigger_source_settings(app_settings: dict[str, Any]) -> None:
    assert app_settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "appInsightsConnectionString"
    assert app_settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identityClientId};Authorization=AAD")
    assert app_settings["BLOB_TRIGGER_SOURCE"] == "EventGrid"


def test_no_flex_forbidden_setting(app_settings: dict[str, Any]) -> None:
    present = sorted(set(FLEX_FORBIDDEN_SETTINGS) & set(app_settings))
    assert not present, f"Flex Consumption rejects these app settings: {present}"
    assert "PIPELINE_FAULTS" not in app_settings, "PIPELINE_FAULTS injects failures: never in Azure"
    for path in FILES:
        code = strip_comments(path.read_text())
        for name in FLEX_FORBIDDEN_SETTINGS:
            assert name not in code, f"{_rel(path)} mentions Flex-forbidden setting {name} outside a comment"


# --- storage containers ------------------------------------------------------------------------------


def test_every_app_container_is_declared(main_doc: dict[str, Any], module_doc: Any, topology: Any,
                                         app_index: AppIndex) -> None:
    declared = main_doc["variables"]["appContainers"]["value"]
    assert sorted(declared) == sorted(topology.CONTAINERS), "main.bicep appContainers != shared/topology"
    missing = app_index.blob_containers() - set(declared)
    assert not missing, f"the app binds blob containers Bicep does not create: {sorted(missing)}"
    passed = set(leaves(body(main_doc["modules"]["storage"])["params"]["containerNames"]))
    expected = {"appContainers", "deploymentContainerName", "eventGridDeadLetterContainerName"}
    assert expected <= passed
    containers = one_resource(
        module_doc("storage.bicep"), "Microsoft.Storage/storageAccounts/blobServices/containers")
    assert loop_source(containers) == "containerNames"
    assert body(containers)["properties"]["publicAccess"] == "None"


def test_main_parameters_file_matches_main(main_doc: dict[str, Any]) -> None:
    import json

    values = json.loads((INFRA_DIR / "main.parameters.json").read_text())["parameters"]
    declared = main_doc["parameters"]
    assert not set(values) - set(declared), f"unknown parameters: {sorted(set(values) - set(declared))}"
    required = {n for n, p in declared.items() if p.get("default") is None}
    assert required <= set(values), f"required parameters azd cannot fill: {sorted(required - set(values))}"
    assert values["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert values["location"]["value"] == "${AZURE_LOCATION}"
    assert values["alertEmail"]["value"].startswith("${ALERT_EMAIL")
    assert MAIN_BICEP.exists()

