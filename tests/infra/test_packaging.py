"""What `azd deploy` uploads (.funcignore) and how azd is told to do it (azure.yaml).

.funcignore uses .gitignore syntax; pathspec's GitIgnoreSpec (a mypy dependency, pinned through it) reads
it the same way. azure.yaml is read with a small parser for the block-mapping subset it uses, since no
YAML library is a project dependency.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pathspec
import pytest
from bicep_checks import REPO_ROOT

pytestmark = pytest.mark.infra

NEVER_WALKED = {".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".localdev",
                ".azurite", ".hypothesis", "__pycache__"}
MUST_SHIP = ("function_app.py", "host.json", "requirements.txt", "shared/topology/servicebus-config.json",
             "shared/topology/__init__.py")
SHIPPED_FILES = {"function_app.py", "host.json", "requirements.txt"}
SHIPPED_DIRS = {"functions", "shared"}
MUST_NOT_SHIP_DIRS = ("localdev/", "tools/", "ops/", "tests/", "bench/", "samples/", "infra/", "docs/",
                      ".ci/",
                      ".venv/", ".python_packages/", "node_modules/", ".git/", ".azure/", "__pycache__/")
MUST_NOT_SHIP_FILES = ("local.settings.json", "local.settings.example.json", "requirements-dev.txt",
                       "requirements-local.txt", "requirements-bootstrap.txt",
                       "package.json", "package-lock.json", "Makefile", "pyproject.toml", "README.md",
                       "azure.yaml", ".gitignore", ".funcignore", "shared/topology/notes.md")


def _spec() -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines((REPO_ROOT / ".funcignore").read_text().splitlines())


def _repo_files() -> list[str]:
    found: list[str] = []
    for directory, subdirs, files in os.walk(REPO_ROOT):
        subdirs[:] = [d for d in subdirs if d not in NEVER_WALKED]
        rel = Path(directory).relative_to(REPO_ROOT)
        found += [str(rel / f) if str(rel) != "." else f for f in files]
    return found


def test_funcignore_ships_the_app() -> None:
    spec = _spec()
    for path in MUST_SHIP:
        if (REPO_ROOT / path).exists():
            assert not spec.match_file(path), f".funcignore drops {path}, which the app needs"
    app_code = [f for f in _repo_files() if f.endswith(".py") and f.split("/")[0] in {"functions", "shared"}]
    dropped = sorted(f for f in app_code if spec.match_file(f))
    assert not dropped, f".funcignore drops app code: {dropped}"


def test_funcignore_keeps_tooling_out() -> None:
    spec = _spec()
    for directory in MUST_NOT_SHIP_DIRS:
        assert spec.match_file(directory + "x.py"), f".funcignore ships {directory}"
    for path in MUST_NOT_SHIP_FILES:
        assert spec.match_file(path), f".funcignore ships {path}"
    shipped_md = sorted(f for f in _repo_files() if f.endswith(".md") and not spec.match_file(f))
    assert not shipped_md, f"documentation would be deployed: {shipped_md}"


def _yaml_mapping(text: str) -> dict[str, object]:
    """Nested dicts from `key: value` / `key:` lines indented by two spaces (comments dropped)."""
    root: dict[str, object] = {}
    stack: list[tuple[int, dict[str, object]]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(":")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value.strip():
            parent[key] = value.strip().strip("'\"")
        else:
            child: dict[str, object] = {}
            parent[key] = child
            stack.append((indent, child))
    return root


def test_azure_yaml_service_and_hooks() -> None:
    config = _yaml_mapping((REPO_ROOT / "azure.yaml").read_text())
    assert config["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    services = config["services"]
    assert isinstance(services, dict)
    expected = {"project": ".", "language": "python", "host": "function", "remoteBuild": "true"}
    assert services["api"] == expected
    hooks = config["hooks"]
    assert isinstance(hooks, dict)
    postdeploy = hooks["postdeploy"]
    assert isinstance(postdeploy, dict)
    for platform, shell in (("posix", "sh"), ("windows", "pwsh")):
        entry = postdeploy[platform]
        assert isinstance(entry, dict)
        assert entry["shell"] == shell
        script = REPO_ROOT / str(entry["run"])
        assert script.is_file(), f"azure.yaml postdeploy.{platform} runs missing {entry['run']}"
        assert entry["continueOnError"] == "false", "a failed subscription must fail `azd up`"


def _tracked_files() -> list[str]:
    """Files git tracks (what a clean clone, and so CI and `azd deploy` from it, would hold)."""
    proc = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"git ls-files failed: {proc.stderr.decode(errors='replace').strip()}")
    return [f for f in proc.stdout.decode().split("\0") if f]


def test_funcignore_ships_only_the_app() -> None:
    """Anything new at the top level is kept out, or deliberately shipped, by editing .funcignore."""
    spec = _spec()
    shipped = [f for f in _tracked_files() if not spec.match_file(f)]
    stray = sorted(f for f in shipped if f not in SHIPPED_FILES and f.split("/", 1)[0] not in SHIPPED_DIRS)
    assert not stray, f"azd deploy would upload files the app does not need (add to .funcignore): {stray}"
