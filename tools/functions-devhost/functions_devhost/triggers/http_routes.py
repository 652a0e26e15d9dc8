"""HTTP route templates as `func start` serves them: `/api/<route>`, `{param}`, `{param?}`, `{param:int}`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEGMENT = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(:[A-Za-z]+(?:\([^)]*\))?)?(\?)?\}")
_CONSTRAINTS = {
    ":int": r"-?\d+",
    ":long": r"-?\d+",
    ":guid": r"[0-9a-fA-F-]{36}",
    ":bool": r"(?i:true|false)",
    ":alpha": r"[A-Za-z]+",
}


@dataclass(frozen=True)
class Route:
    """A compiled route for one HTTP-triggered function."""

    function_name: str
    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None
    auth_level: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if not found or (self.methods is not None and method.upper() not in self.methods):
            return None
        return {key: value for key, value in found.groupdict().items() if value is not None}


def compile_route(
    function_name: str, route: str | None, prefix: str, methods: list[str] | None, auth_level: str
) -> Route:
    template = "/".join(part for part in (prefix, (route or function_name).strip("/")) if part)
    regex, position = "", 0
    for found in _SEGMENT.finditer(template):
        literal = re.escape(template[position : found.start()])
        catch_all, name, constraint, optional = found.groups()
        body = ".*" if catch_all else _CONSTRAINTS.get((constraint or "").split("(")[0], r"[^/]+")
        if optional and literal.endswith("/"):
            regex += literal[:-1] + f"(?:/(?P<{name}>{body}))?"
        else:
            regex += literal + f"(?P<{name}>{body})" + ("?" if optional else "")
        position = found.end()
    regex += re.escape(template[position:])
    upper = frozenset(str(m).upper() for m in methods) if methods else None
    return Route(function_name, "/" + template, re.compile(regex), upper, auth_level)
