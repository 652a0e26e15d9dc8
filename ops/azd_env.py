"""The azd environment's values, read the way `azd env get-values` prints them, without azd itself.

azd keeps each environment's values (main.bicep's outputs among them) in `.azure/<env>/.env` and the
default environment's name in `.azure/config.json`; reading the files works on a machine where azd is
not installed, such as a CI runner that only has the checked-out `.azure/` folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_LINE = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$')


class AzdEnvironmentError(RuntimeError):
    """The azd environment cannot be found or lacks a value; the message says what to run."""


def default_environment(root: Path) -> str:
    try:
        return str(json.loads((root / ".azure" / "config.json").read_text())["defaultEnvironment"])
    except (OSError, ValueError, KeyError):
        raise AzdEnvironmentError(
            f"no default azd environment under {root / '.azure'}: run `azd env select NAME`, "
            "or pass --env NAME"
        ) from None


def read_values(root: Path, environment: str | None = None) -> dict[str, str]:
    name = environment or default_environment(root)
    path = root / ".azure" / name / ".env"
    if not path.is_file():
        raise AzdEnvironmentError(
            f"azd environment {name!r} has no {path}: run `azd env refresh -e {name}` (or `azd provision`)")
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            raw = match.group(2)
            values[match.group(1)] = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    return values


def require(values: dict[str, str], key: str, environment: str) -> str:
    value = values.get(key, "")
    if not value:
        raise AzdEnvironmentError(
            f"azd environment {environment!r} has no {key}; run `azd provision` (main.bicep outputs it)")
    return value
