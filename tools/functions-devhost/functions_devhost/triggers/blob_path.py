"""Blob trigger paths such as `incoming/{sender}/{name}`: container, listing prefix and named parts.

As in the host, a `{name}` matches within one path segment, except the last parameter, which takes the rest
of the blob name (so `incoming/{name}` matches `incoming/acme/x.csv` with name `acme/x.csv`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from functions_devhost.errors import DevhostError

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")


@dataclass(frozen=True)
class BlobPath:
    """A compiled blob trigger path."""

    container: str
    prefix: str
    pattern: re.Pattern[str]

    def match(self, blob_name: str) -> dict[str, str] | None:
        """The named parts for a blob in the container, or None when the path does not match it."""
        found = self.pattern.fullmatch(blob_name)
        return found.groupdict() if found else None


def compile_blob_path(path: str, function_name: str) -> BlobPath:
    container, slash, rest = path.partition("/")
    if not container or "{" in container:
        raise DevhostError(
            f"Function '{function_name}': blob trigger path {path!r} must start with a container name."
        )
    if not slash or not rest:
        rest = "{name}"
    names = _PARAM.findall(rest)
    regex, position = "", 0
    for index, found in enumerate(_PARAM.finditer(rest)):
        regex += re.escape(rest[position : found.start()])
        last = index == len(names) - 1
        regex += f"(?P<{found.group(1).replace('-', '_')}>{'.+' if last else '[^/]+'})"
        position = found.end()
    regex += re.escape(rest[position:])
    prefix = rest.split("{", 1)[0]
    return BlobPath(container=container, prefix=prefix, pattern=re.compile(regex))
