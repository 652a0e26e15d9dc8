"""azd offers only regions where Flex Consumption runs.

azd reads `@metadata({azd: {type: 'location'}})` on main.bicep's `location` to prompt with a region
picker, and restricts the picker to `@allowed`. Without both, `azd up` offers every region and the plan
fails late, after the resource group exists. The list is pinned here so that a change is deliberate.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.infra

# Microsoft's azd Flex Consumption quickstarts' list, without the eastus2euap canary.
FLEX_REGIONS = {
    "australiaeast", "eastasia", "eastus", "eastus2", "northeurope", "southcentralus", "southeastasia",
    "swedencentral", "uksouth", "westus2",
}


def _decorators(main_doc: dict[str, Any]) -> dict[str, Any]:
    return {d["type"]: d["argument"] for d in main_doc["parameters"]["location"]["decorators"]}


def test_location_is_an_azd_location_prompt(main_doc: dict[str, Any]) -> None:
    assert _decorators(main_doc).get("metadata") == {"azd": {"type": "location"}}


def test_location_allows_only_flex_consumption_regions(main_doc: dict[str, Any]) -> None:
    allowed = _decorators(main_doc).get("allowed")
    assert allowed, "main.bicep location needs @allowed([...]) so azd offers only Flex Consumption regions"
    assert set(allowed) == FLEX_REGIONS, "the Flex region list changed: update FLEX_REGIONS, docs/deploy.md"
    default = main_doc["parameters"]["location"]["default"]
    assert default is None, "azd must ask for the region; a default would skip the prompt"
