"""docs/deploy.md quotes the workbook's queries; the quotes must be the files' text (one definition)."""

from __future__ import annotations

import pytest
from bicep_checks import INFRA_DIR, REPO_ROOT

pytestmark = pytest.mark.infra


@pytest.mark.parametrize("name", sorted(p.name for p in (INFRA_DIR / "queries").glob("workbook-*.kql")))
def test_the_docs_quote_each_workbook_query_as_it_is(name: str) -> None:
    docs = (REPO_ROOT / "docs" / "deploy.md").read_text()
    text = (INFRA_DIR / "queries" / name).read_text().rstrip()
    assert f"```kusto\n{text}\n```" in docs, f"docs/deploy.md quotes an old {name}; paste the file's text"
