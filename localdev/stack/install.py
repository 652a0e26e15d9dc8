"""What `make run` needs on this machine, installed when it can be and explained when it cannot."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from localdev.stack.processes import StackError

REPO = Path(__file__).resolve().parents[2]
PYTHON_MODULES = (
    "azure.functions",
    "azure.servicebus",
    "azure.storage.blob",
    "azure.storage.queue",
    "proton",
)


def check_python() -> None:
    missing = [name for name in PYTHON_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise StackError(
            f"Python packages missing: {', '.join(missing)}. Run `make install` (or "
            "`.venv/bin/pip install -r requirements-dev.txt`) and retry."
        )


def ensure_azurite(repo: Path = REPO, log: Path | None = None) -> None:
    """Run `npm install` once if Azurite is not in node_modules yet."""
    if (repo / "node_modules" / ".bin" / "azurite").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise StackError(
            "Azurite is not installed and npm is not on PATH. Install Node.js 18+ (which brings npm), "
            "then run `make run` again."
        )
    print("Installing Azurite from package.json (npm install --no-audit --no-fund)…", flush=True)
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund"], cwd=repo, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise StackError(f"`npm install` failed (exit {result.returncode}):\n{result.stderr[-1500:]}")
