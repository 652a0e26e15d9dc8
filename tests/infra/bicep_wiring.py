"""Cross-file checks `bicep build` and `bicep lint` would make, done offline over pycep-parser's JSON.

Each function returns a list of precise problems (empty when the file is fine), so the tests can run it
on the real files and on deliberately broken copies alike.
"""

from __future__ import annotations

import re
from pathlib import Path

from bicep_checks import body, module_path, parse_bicep, strip_comments


def module_param_problems(path: Path) -> list[str]:
    """Params passed to each module vs the params it declares: none unknown, none required missing."""
    problems: list[str] = []
    for symbol, declaration in parse_bicep(path).get("modules", {}).items():
        target = module_path(declaration, path)
        if not target.is_file():
            problems.append(f"{path.name}: module {symbol} points at missing file {target}")
            continue
        declared = parse_bicep(target).get("parameters", {})
        passed = set(body(declaration).get("params", {}))
        required = {n for n, p in declared.items() if p.get("default") is None}
        problems += [f"{path.name}: module {symbol} passes undeclared param {n!r}"
                     for n in sorted(passed - set(declared))]
        problems += [f"{path.name}: module {symbol} does not pass required param {n!r}"
                     for n in sorted(required - passed)]
    return problems


def module_output_problems(path: Path) -> list[str]:
    """Every `<module>.outputs.<name>` names a module of this file and an output that module declares."""
    problems: list[str] = []
    modules = parse_bicep(path).get("modules", {})
    for symbol, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", strip_comments(path.read_text())):
        if symbol not in modules:
            problems.append(f"{path.name}: {symbol}.outputs.{output} but {symbol} is not a module")
        elif output not in parse_bicep(module_path(modules[symbol], path)).get("outputs", {}):
            problems.append(f"{path.name}: module {symbol} has no output {output!r}")
    return problems


def unused_symbol_problems(path: Path) -> list[str]:
    """Params, vars and `existing` resources never referenced: a stand-in for bicep lint's no-unused-*
    rules. Lenient: a property key of the same name counts as a use, so it can miss one, never invent one."""
    doc = parse_bicep(path)
    code = strip_comments(path.read_text())
    symbols = [("param", n) for n in doc.get("parameters", {})]
    symbols += [("var", n) for n in doc.get("variables", {})]
    symbols += [("existing resource", n) for n, r in doc.get("resources", {}).items() if r["existing"]]
    return [f"{path.name}: {kind} {name} is declared but never used" for kind, name in symbols
            if len(re.findall(rf"(?<![\w.'-]){re.escape(name)}\b", code)) < 2]
