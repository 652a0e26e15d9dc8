"""Fixtures for the offline infra checks: the parsed Bicep files, the topology and the indexed app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from app_bindings import AppIndex, load_app
from bicep_checks import INFRA_DIR, MAIN_BICEP, REPO_ROOT, parse_bicep

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

MODULES = INFRA_DIR / "modules"


@pytest.fixture(scope="session")
def main_doc() -> dict[str, Any]:
    return parse_bicep(MAIN_BICEP)


@pytest.fixture(scope="session")
def module_doc() -> Any:
    """Call with a file name under infra/modules/ to get its parsed JSON."""

    def load(name: str) -> dict[str, Any]:
        return parse_bicep(MODULES / name)

    return load


@pytest.fixture(scope="session")
def app_index() -> AppIndex:
    return load_app()


@pytest.fixture(scope="session")
def topology() -> Any:
    import shared.topology as topology_module

    return topology_module


@pytest.fixture(scope="session")
def namespace_config(topology: Any) -> dict[str, Any]:
    ns: dict[str, Any] = topology.namespace()
    return ns


@pytest.fixture(scope="session")
def app_settings(module_doc: Any) -> dict[str, Any]:
    """The function app's settings object (Microsoft.Web/sites/config 'appsettings')."""
    from bicep_checks import body, resources_of_type

    doc = module_doc("function-app.bicep")
    configs = [body(r) for r in resources_of_type(doc, "Microsoft.Web/sites/config").values()]
    found = [c for c in configs if c.get("name") == "appsettings"]
    assert len(found) == 1, f"expected one Microsoft.Web/sites/config named appsettings, found {len(found)}"
    settings: dict[str, Any] = found[0]["properties"]
    return settings


def relative(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))
