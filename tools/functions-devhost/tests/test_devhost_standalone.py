"""The functions_devhost package stands alone: no module in it, and no test or fixture app of its own,
imports the app beside it in this repository. Another project installs it from a checkout
(`pip install ./tools/functions-devhost`) and runs these tests from its folder, so an import of the app's
packages (`shared`, `functions`, `localdev`, `function_app`, `ops`, `tests`) would break it there.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import functions_devhost
import pytest

pytestmark = pytest.mark.unit

PACKAGE_DIR = Path(functions_devhost.__file__).resolve().parent
TESTS_DIR = Path(__file__).resolve().parent
APP_PACKAGES = {"shared", "functions", "localdev", "function_app", "ops", "tests", "bench"}


def _imported_roots(source: Path) -> set[str]:
    """The top-level names of every absolute import in one module, including imports inside functions."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_imports_the_app() -> None:
    modules = sorted(PACKAGE_DIR.rglob("*.py"))
    assert modules, f"no modules found under {PACKAGE_DIR}"
    offenders = {str(m.relative_to(PACKAGE_DIR)): sorted(_imported_roots(m) & APP_PACKAGES)
                 for m in modules}
    assert not {m: r for m, r in offenders.items() if r}, f"functions_devhost imports the app: {offenders}"


def test_no_test_or_fixture_app_imports_the_app() -> None:
    """The tests reach Azurite through their own launcher and the emulator through its `testing` module."""
    modules = sorted(TESTS_DIR.rglob("*.py"))
    assert len(modules) > 10, f"the tests were not found under {TESTS_DIR}"
    imports = {str(m.relative_to(TESTS_DIR)): sorted(_imported_roots(m) & APP_PACKAGES) for m in modules}
    offenders = {module: roots for module, roots in imports.items() if roots}
    assert not offenders, f"the devhost's tests import the app: {offenders}"


def test_the_guard_sees_an_app_import(tmp_path: Path) -> None:
    """The scan itself can fail: an import of the app, even a lazy one, is found."""
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from shared.domain import x\n    import localdev.stack\n",
                      encoding="utf-8")
    assert _imported_roots(module) & APP_PACKAGES == {"shared", "localdev"}


def test_the_console_script_answers_help() -> None:
    """The distribution's console script is installed beside this interpreter and starts."""
    script = Path(sys.executable).parent / "functions-devhost"
    assert script.is_file(), f"{script} is missing: pip install ./tools/functions-devhost"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "usage" in done.stdout, done.stderr
