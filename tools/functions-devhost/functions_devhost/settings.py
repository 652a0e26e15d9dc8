"""`local.settings.json` as `func start` reads it, and connection settings as the host resolves them.

`Values` go into the process environment, but a variable that is already set wins (Core Tools logs
"Skipping ... already defined"), which is how the local stack points the app at its own ports without
touching the user's file. When the file is missing, `local.settings.example.json` is copied to it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from functions_devhost.errors import DevhostError

log = logging.getLogger("devhost.settings")

LOCAL_SETTINGS = "local.settings.json"
EXAMPLE_SETTINGS = "local.settings.example.json"

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class LocalSettings:
    """What `local.settings.json` holds that the devhost uses."""

    path: Path | None
    values: dict[str, str] = field(default_factory=dict)


def load_local_settings(app_dir: Path) -> LocalSettings:
    """Read `local.settings.json` from the app folder, copying the example file first when it is missing."""
    path = app_dir / LOCAL_SETTINGS
    example = app_dir / EXAMPLE_SETTINGS
    if not path.exists() and example.exists():
        shutil.copyfile(example, path)
        log.info("Created %s from %s (it is git-ignored; edit it freely)", path.name, example.name)
    if not path.exists():
        log.warning("No %s in %s: using only the environment", LOCAL_SETTINGS, app_dir)
        return LocalSettings(path=None)
    return LocalSettings(path=path, values=_parse_values(path))


def _parse_values(path: Path) -> dict[str, str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise DevhostError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            f"Fix the file, or delete it to start again from {EXAMPLE_SETTINGS}."
        ) from None
    except UnicodeDecodeError as exc:
        raise DevhostError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
    if not isinstance(document, dict):
        raise DevhostError(
            f'{path}: expected a JSON object like {{"IsEncrypted": false, "Values": {{...}}}}.'
        )
    if document.get("IsEncrypted") is True:
        raise DevhostError(f"{path}: IsEncrypted is true; the devhost reads only plain-text settings.")
    values = document.get("Values", {})
    if not isinstance(values, dict):
        raise DevhostError(f'{path}: "Values" must be an object of setting names to strings.')
    bad = sorted(name for name, value in values.items() if not isinstance(value, str))
    if bad:
        raise DevhostError(
            f'{path}: every value in "Values" must be a string (as app settings are in Azure); '
            f'not a string: {", ".join(bad)}. Quote them, e.g. "5" or "true".'
        )
    return dict(values)


def apply_to_environ(values: dict[str, str], environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Copy settings into the environment unless already defined there; return the names skipped."""
    env = os.environ if environ is None else environ
    skipped = []
    for name, value in values.items():
        if name in env:
            skipped.append(name)
            log.debug("Skipping '%s' from local settings: already defined in the environment", name)
        else:
            env[name] = value
    return skipped


def development_storage(blob_port: int = 10000, queue_port: int = 10001, table_port: int = 10002) -> str:
    """The explicit Azurite connection string that `UseDevelopmentStorage=true` stands for."""
    base = "http://127.0.0.1"
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={base}:{blob_port}/{AZURITE_ACCOUNT};QueueEndpoint={base}:{queue_port}/{AZURITE_ACCOUNT};"
        f"TableEndpoint={base}:{table_port}/{AZURITE_ACCOUNT};"
    )


def resolve_connection(setting: str, environ: MutableMapping[str, str] | None = None) -> str:
    """A binding's `connection` setting → a connection string, as the host resolves it, or a clear error."""
    env = os.environ if environ is None else environ
    for candidate in (setting, f"AzureWebJobs{setting}"):
        value = env.get(candidate, "").strip()
        if value:
            if value.replace(" ", "").lower().rstrip(";") == "usedevelopmentstorage=true":
                return development_storage()
            return value
    identity = sorted(name for name in env if name.startswith(f"{setting}__"))
    if identity:
        raise DevhostError(
            f"Connection setting '{setting}' is identity-based ({', '.join(identity)}); the devhost needs a "
            f"connection string locally. Set '{setting}' in local.settings.json, e.g. to "
            '"UseDevelopmentStorage=true" or the emulator\'s connection string.'
        )
    raise DevhostError(
        f"Connection setting '{setting}' is not defined. Add it to \"Values\" in local.settings.json "
        f'(or the environment), e.g. "{setting}": "UseDevelopmentStorage=true" for storage.'
    )
