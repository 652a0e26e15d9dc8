"""Both XSDs, parsed together, once per process, under one lock, before any validation uses either.

libxml2's schema parsing is not safe while another thread validates: parsing the pain.002 schema in the
reporter while the creator streamed a pain.001 through its schema left the creator failing every file
with "xmlSchemaPValAttrNodeValue, the given type is not a built-in type" (seen in an e2e run). Parsing
both at the first use of either means no schema is ever parsed once validation has started.
"""

from __future__ import annotations

import threading

from lxml import etree

_lock = threading.Lock()
_parsed: dict[str, etree.XMLSchema] = {}


def schema_for(name: str) -> etree.XMLSchema:
    """`pain.001` or `pain.002`: the parsed schema (both are parsed on the first call)."""
    if not _parsed:
        with _lock:
            if not _parsed:
                from shared.domain.pain001 import parse_pain001_schema
                from shared.domain.pain002_schema import parse_pain002_schema

                parsed = {"pain.001": parse_pain001_schema(), "pain.002": parse_pain002_schema()}
                _parsed.update(parsed)
    return _parsed[name]
