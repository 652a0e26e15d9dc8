"""Syntax check of every .bicep file with tree-sitter-bicep, and proof that the check can fail.

Each broken copy is written to tmp_path from a real file, so the check is shown to catch the three
mistakes a hand edit makes most (unbalanced brace, `=` for `:`, unterminated string) at the right line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from bicep_checks import (
    INFRA_DIR,
    MAIN_BICEP,
    REPO_ROOT,
    bicep_files,
    check_file_syntax,
    module_path,
    parse_bicep,
)

pytestmark = pytest.mark.infra

FILES = bicep_files()


def test_infra_has_the_expected_bicep_files() -> None:
    names = {str(p.relative_to(INFRA_DIR)) for p in FILES}
    assert "main.bicep" in names
    assert {n for n in names if n.startswith("modules/")}, "no module under infra/modules/"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_bicep_file_has_no_syntax_error(path: Path) -> None:
    problems = check_file_syntax(path)
    assert not problems, "tree-sitter-bicep found:\n" + "\n".join(map(str, problems))


def _first_line_index(lines: list[str], predicate: Callable[[str], bool]) -> int:
    for index, line in enumerate(lines):
        if predicate(line):
            return index
    raise AssertionError("no line to break in main.bicep; update the mutation to the file's current shape")


def _unbalanced_brace(lines: list[str]) -> int:
    index = _first_line_index(lines, lambda s: s.rstrip().endswith("= {") and s.startswith("resource "))
    lines[index] = lines[index] + " {"
    return index


def _equals_for_colon(lines: list[str]) -> int:
    index = _first_line_index(lines, lambda s: s.startswith("  name: "))
    lines[index] = lines[index].replace("name: ", "name = ", 1)
    return index


def _unterminated_string(lines: list[str]) -> int:
    index = _first_line_index(lines, lambda s: s.startswith("  name: '") and s.rstrip().endswith("'"))
    lines[index] = lines[index].rstrip()[:-1]
    return index


@pytest.mark.parametrize("mutate", [_unbalanced_brace, _equals_for_colon, _unterminated_string],
                         ids=["unbalanced-brace", "equals-for-colon", "unterminated-string"])
def test_broken_copy_fails_the_syntax_check(tmp_path: Path, mutate: Callable[[list[str]], int]) -> None:
    lines = MAIN_BICEP.read_text(encoding="utf-8").splitlines()
    broken_at = mutate(lines) + 1
    broken = tmp_path / "main.bicep"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    problems = check_file_syntax(broken)

    assert problems, f"the syntax check accepted a copy broken at line {broken_at}"
    assert all(p.path == str(broken) for p in problems)
    # The first report is at the broken line or shortly after it (a parser notices a missing `}` later).
    assert broken_at <= problems[0].line <= broken_at + 15, (
        f"broken at line {broken_at}, first report: {problems[0]}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_module_reference_exists(path: Path) -> None:
    for symbol, declaration in parse_bicep(path).get("modules", {}).items():
        target = module_path(declaration, path)
        assert target.is_file(), f"{path.name}: module {symbol} points at missing file {target}"


def test_every_module_file_is_used() -> None:
    """Reachable from main.bicep, or deployed by the postdeploy hooks (both must name it)."""
    hook_templates = [
        {(REPO_ROOT / m).resolve() for m in re.findall(r"infra/modules/[\w-]+\.bicep", hook.read_text())}
        for hook in (INFRA_DIR / "hooks" / "postdeploy.sh", INFRA_DIR / "hooks" / "postdeploy.ps1")]
    assert hook_templates[0] == hook_templates[1], "the two postdeploy hooks deploy different templates"
    used: set[Path] = {MAIN_BICEP.resolve(), *hook_templates[0]}
    pending = [MAIN_BICEP, *hook_templates[0]]
    while pending:
        current = pending.pop()
        for declaration in parse_bicep(current).get("modules", {}).values():
            target = module_path(declaration, current)
            if target not in used:
                used.add(target)
                pending.append(target)
    orphans = sorted(str(p.relative_to(REPO_ROOT)) for p in FILES if p.resolve() not in used)
    assert not orphans, f"Bicep files not reachable from infra/main.bicep: {orphans}"
