"""The pain.002.001.10 schema, derived from the `pyiso20022` bindings, and the check every report passes.

No package on the index ships the official `pain.002.001.10.xsd` (`pain001` has .03/.12/.14/.15,
`sepaxml` only pain.001/.008), but `pyiso20022` ships xsdata bindings generated from it, whose field
metadata keep the schema's facts: element names and order, which are required or repeated, every
length, pattern, digit count and code list. This module turns those facts back into an XSD (once per
process) and validates with lxml, the way `pain001.validate_pain001` checks the creator's output.
Choices (`…Choice` types) become `xs:choice`, as in the ISO schema. What it cannot restore are the
official type names, which no validation depends on.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import io
import typing
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, BinaryIO, cast

from lxml import etree
from pyiso20022.pain.pain_002_001_10 import pain_002_001_10 as bindings
from xsdata.models.datatype import XmlDate, XmlDateTime

NAMESPACE = bindings.__NAMESPACE__
XS = "http://www.w3.org/2001/XMLSchema"
_FACETS = {"min_length": "minLength", "max_length": "maxLength", "pattern": "pattern",
           "total_digits": "totalDigits", "fraction_digits": "fractionDigits",
           "min_inclusive": "minInclusive"}
_BUILTINS: dict[Any, str] = {str: "xs:string", Decimal: "xs:decimal", bool: "xs:boolean", int: "xs:integer",
                             XmlDate: "xs:date", XmlDateTime: "xs:dateTime"}


class Pain002SchemaError(ValueError):
    """A status report that does not conform to pain.002.001.10; the message names the first problem."""


def validate_pain002(document: bytes | BinaryIO) -> None:
    """Raise `Pain002SchemaError` unless `document` conforms to the pain.002.001.10 schema."""
    tree = etree.parse(io.BytesIO(document) if isinstance(document, bytes) else document)
    schema = _schema()
    if not schema.validate(tree):
        entries = list(cast(Iterable[etree._LogEntry], schema.error_log))  # iterable; the stubs omit it
        first = entries[0]
        raise Pain002SchemaError(f"pain.002 does not conform to its schema: line {first.line}: "
                                 f"{first.message}")


def _schema() -> etree.XMLSchema:
    from shared.domain.xsd_schemas import schema_for

    return schema_for("pain.002")


def parse_pain002_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(schema_document()))


def schema_document() -> bytes:
    """The derived XSD, as bytes (for the schema check and for anyone who wants to read it)."""
    # The default namespace is the target one, so type references need no prefix.
    namespaces = cast(dict[str, str], {"xs": XS, None: NAMESPACE})  # the stubs refuse the None key
    root = etree.Element(f"{{{XS}}}schema", nsmap=namespaces,
                         targetNamespace=NAMESPACE, elementFormDefault="qualified")
    etree.SubElement(root, f"{{{XS}}}element", name="Document", type="Document")
    _Builder(root).complex_type(bindings.Document)
    return bytes(etree.tostring(root, pretty_print=True))


class _Builder:
    """Writes one named type per binding class, once, following the fields from `Document` down."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.done: set[str] = set()

    def complex_type(self, cls: type) -> str:
        name = cls.__name__
        if name in self.done:
            return name
        self.done.add(name)
        node = etree.SubElement(self.root, f"{{{XS}}}complexType", name=name)
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        text = [f for f in fields if "type" not in f.metadata]
        if text:  # simple content (an amount and its currency attribute)
            extension = etree.SubElement(etree.SubElement(node, f"{{{XS}}}simpleContent"),
                                         f"{{{XS}}}extension", base=self.simple_type(hints[text[0].name],
                                                                                     text[0].metadata))
            self.attributes(extension, fields, hints)
            return name
        group = etree.SubElement(node, f"{{{XS}}}choice" if name.endswith("Choice") else f"{{{XS}}}sequence")
        for field in fields:
            if field.metadata.get("type") == "Element":
                self.element(group, field, hints[field.name], in_choice=name.endswith("Choice"))
            elif field.metadata.get("type") == "Wildcard":
                etree.SubElement(group, f"{{{XS}}}any", namespace="##any", processContents="lax")
        self.attributes(node, fields, hints)
        return name

    def element(self, group: etree._Element, field: dataclasses.Field[Any], hint: Any, *,
                in_choice: bool) -> None:
        meta = field.metadata
        inner, repeated, optional = _unwrap(hint)
        # In a choice the xs:choice says "one of"; the one chosen is then present once.
        low = 1 if in_choice else meta.get("min_occurs", 0 if (repeated or optional) else 1)
        high = meta.get("max_occurs", "unbounded" if repeated else 1)
        attributes = {"name": meta["name"], "minOccurs": str(low), "maxOccurs": str(high)}
        if isinstance(inner, type) and dataclasses.is_dataclass(inner):
            attributes["type"] = self.complex_type(inner)
        else:
            attributes["type"] = self.simple_type(inner, meta)
        etree.SubElement(group, f"{{{XS}}}element", **attributes)

    def attributes(self, node: etree._Element, fields: tuple[dataclasses.Field[Any], ...],
                   hints: dict[str, Any]) -> None:
        for field in fields:
            if field.metadata.get("type") == "Attribute":
                inner, _, _ = _unwrap(hints[field.name])
                etree.SubElement(node, f"{{{XS}}}attribute", name=field.metadata["name"],
                                 type=self.simple_type(inner, field.metadata),
                                 use="required" if field.metadata.get("required") else "optional")

    def simple_type(self, hint: Any, meta: typing.Mapping[str, Any]) -> str:
        """A named restriction of the builtin type for this field's facets (or of an enumeration)."""
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return self.enumeration(hint)
        base = _BUILTINS[hint]
        facets = [(key, meta[key]) for key in _FACETS if key in meta]
        if not facets:
            return base
        name = "T-" + "-".join(f"{_FACETS[k]}{_slug(v)}" for k, v in facets) + f"-{base[3:]}"
        if name not in self.done:
            self.done.add(name)
            node = etree.SubElement(self.root, f"{{{XS}}}simpleType", name=name)
            restriction = etree.SubElement(node, f"{{{XS}}}restriction", base=base)
            for key, value in facets:
                etree.SubElement(restriction, f"{{{XS}}}{_FACETS[key]}", value=str(value))
        return name

    def enumeration(self, cls: type[enum.Enum]) -> str:
        if cls.__name__ not in self.done:
            self.done.add(cls.__name__)
            node = etree.SubElement(self.root, f"{{{XS}}}simpleType", name=cls.__name__)
            restriction = etree.SubElement(node, f"{{{XS}}}restriction", base="xs:string")
            for member in cls:
                etree.SubElement(restriction, f"{{{XS}}}enumeration", value=str(member.value))
        return cls.__name__


def _unwrap(hint: Any) -> tuple[Any, bool, bool]:
    """(the item type, repeated, optional) of `list[X]`, `None | X` or `X`."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is list:
        return args[0], True, True
    if args and type(None) in args:
        return next(a for a in args if a is not type(None)), False, True
    return hint, False, False


def _slug(value: Any) -> str:
    """A facet value as part of a type name: itself when plain, else a short stable digest (patterns)."""
    text = str(value)
    return text if text.isalnum() else hashlib.sha256(text.encode()).hexdigest()[:8]
