"""Offline Bicep checks shared by the infra tests: a syntax check and a structural model.

No Bicep compiler can be installed on these machines, so two pure-Python stand-ins do what they can:

* `syntax_problems` parses a file with tree-sitter-bicep and reports every ERROR or MISSING node as
  `file:line:col: message`. It catches unbalanced braces, `=` for `:`, unterminated strings; it does not
  resolve symbols or types (that is `bicep build`'s job).
* `parse_bicep` turns a file into pycep-parser's JSON (params, variables, resources, modules, outputs, with
  loops, conditions and decorators kept as structured nodes). The helpers below walk that JSON.

pycep represents identifiers and string literals alike as Python strings, so `location: location` and
`location: 'location'` look the same; the tests only rely on distinctions pycep keeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter_bicep
from pycep import BicepParser
from tree_sitter import Language, Node, Parser

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
MAIN_BICEP = INFRA_DIR / "main.bicep"


@dataclass(frozen=True)
class SyntaxProblem:
    """One ERROR or MISSING node: where it is and what the source says there."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@cache
def _ts_parser() -> Parser:
    return Parser(Language(tree_sitter_bicep.language()))


@cache
def _pycep_parser() -> BicepParser:
    # Building the LALR tables takes about a second; build them once per test session.
    return BicepParser(add_line_numbers=True)


def bicep_files(root: Path = INFRA_DIR) -> list[Path]:
    """Every .bicep file under `root`, sorted so that test ids are stable."""
    return sorted(root.rglob("*.bicep"))


def syntax_problems(source: bytes, path: str) -> list[SyntaxProblem]:
    """Return every syntax problem tree-sitter-bicep finds in `source` (1-based line and column)."""
    tree = _ts_parser().parse(source)
    problems: list[SyntaxProblem] = []
    _collect_problems(tree.root_node, source, path, problems)
    return problems


def _collect_problems(node: Node, source: bytes, path: str, out: list[SyntaxProblem]) -> None:
    if node.is_missing:
        row, col = node.start_point
        out.append(SyntaxProblem(path, row + 1, col + 1, f"missing {node.type!r}"))
    elif node.is_error:
        row, col = node.start_point
        snippet = source[node.start_byte : node.end_byte].decode("utf-8", "replace").splitlines()
        near = snippet[0].strip()[:40] if snippet else ""
        out.append(SyntaxProblem(path, row + 1, col + 1, f"syntax error near {near!r}"))
    if node.has_error:
        for child in node.children:
            _collect_problems(child, source, path, out)


def check_file_syntax(path: Path) -> list[SyntaxProblem]:
    """`syntax_problems` for a file, reported relative to the repository when it lies inside it."""
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    return syntax_problems(path.read_bytes(), str(shown))


@cache
def parse_bicep(path: Path) -> dict[str, Any]:
    """pycep-parser's JSON for a file. Cached: the tests treat it as read-only."""
    result: Any = _pycep_parser().parse(file_path=path)
    return dict(result)


def body(declaration: dict[str, Any]) -> dict[str, Any]:
    """The object body of a resource or module, looking through a loop or an `if` condition."""
    config: dict[str, Any] = declaration["config"]
    if "loop_type" in config or ("condition" in config and "config" in config):
        inner: dict[str, Any] = config["config"]
        return inner
    return config


def loop_source(declaration: dict[str, Any]) -> Any:
    """What a resource or module loop iterates over (`None` when it is not a loop)."""
    config = declaration["config"]
    if "loop_type" not in config:
        return None
    return config["loop_type"]["detail"].get("array_name")


def resources_of_type(doc: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Symbolic name -> declaration of every resource of `resource_type` (case-insensitive)."""
    wanted = resource_type.lower()
    return {name: res for name, res in doc.get("resources", {}).items() if res["type"].lower() == wanted}


def one_resource(doc: dict[str, Any], resource_type: str, *, existing: bool = False) -> dict[str, Any]:
    """The single declared (or `existing`) resource of a type; fails precisely when there is not one."""
    candidates = resources_of_type(doc, resource_type).items()
    found = {n: r for n, r in candidates if bool(r["existing"]) == existing}
    assert len(found) == 1, f"expected one {resource_type} (existing={existing}), found {sorted(found)}"
    return next(iter(found.values()))


def leaves(node: Any) -> Iterator[Any]:
    """Every scalar in an expression tree (identifiers, literals, property names)."""
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from leaves(value)
    else:
        yield node


def find_mapping(node: Any, key: str) -> dict[str, Any] | None:
    """The first object literal in an expression tree that has `key`. pycep-parser 0.7.1 nests
    `r.kind == 'x' ? {...} : null` with the wrong precedence, so tests look for shapes, not exact trees."""
    if isinstance(node, dict):
        if key in node:
            return node
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = find_mapping(child, key)
        if found is not None:
            return found
    return None


def is_empty_to_null(node: Any) -> bool:
    """True for the `empty(x) ? null : x` pattern: an empty string in the topology means "not set"."""
    operator = node.get("operator") if isinstance(node, dict) else None
    if not operator or operator.get("type") != "conditional":
        return False
    operands = operator["operands"]
    condition = operands["condition"]
    return (
        isinstance(condition, dict)
        and condition.get("function", {}).get("type") == "empty"
        and operands["true_value"] is None
    )


def module_path(declaration: dict[str, Any], owner: Path) -> Path:
    """The file a `module` declaration points at, resolved against the declaring file."""
    relative: str = declaration["detail"]["path"]
    return (owner.parent / relative).resolve()


def strip_comments(text: str) -> str:
    """Drop `//` and `/* */` comments, keeping strings intact (enough for a textual secret scan)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == "'":
                in_string = False
        elif ch == "'":
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end == -1 else end + 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)
