"""The checkov findings fixed in infra/ stay fixed (checkov itself runs in its own virtual environment,
`.ci/checkov`, because its releases pin an older pycep-parser than the one these tests use)."""

from __future__ import annotations

from typing import Any

import pytest
from bicep_checks import body, one_resource

pytestmark = pytest.mark.infra


def test_storage_is_zone_redundant_by_default(module_doc: Any) -> None:
    assert module_doc("storage.bicep")["parameters"]["skuName"]["default"] == "Standard_ZRS"


def test_no_ftp_and_http2_on_the_function_app(module_doc: Any) -> None:
    app = body(one_resource(module_doc("function-app.bicep"), "Microsoft.Web/sites"))
    site = app["properties"]["siteConfig"]
    assert site["ftpsState"] == "Disabled" and site["http20Enabled"] is True
