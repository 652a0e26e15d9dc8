"""A parser and evaluator for the common forms of Service Bus SQL filter expressions.

Supported: comparisons (`=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`) between properties and string, number,
boolean or NULL literals; `AND`, `OR`, `NOT` and parentheses; `[NOT] IN (...)`; `IS [NOT] NULL`;
`[NOT] LIKE 'pattern'`; `EXISTS(prop)`; `sys.`/`user.` prefixes and `[bracketed names]`. Arithmetic,
functions and rule actions are not: they raise `SqlFilterError` naming the position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Lookup = Callable[[str], Any]
KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ESCAPE", "TRUE", "FALSE", "EXISTS"}
TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<op><>|!=|<=|>=|=|<|>|\(|\)|,)
    | (?P<name>\[[^\]]+\]|[A-Za-z_$@][\w$.@-]*(?:\.\[[^\]]+\])?)
    )""", re.VERBOSE)


class SqlFilterError(ValueError):
    """The filter expression uses something the emulator does not support, or is malformed."""


class Node:
    def evaluate(self, lookup: Lookup) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Literal(Node):
    value: Any

    def evaluate(self, lookup: Lookup) -> Any:
        return self.value


@dataclass(frozen=True)
class Property(Node):
    name: str

    def evaluate(self, lookup: Lookup) -> Any:
        value = lookup(self.name)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node

    def evaluate(self, lookup: Lookup) -> bool | None:
        return compare(self.op, self.left.evaluate(lookup), self.right.evaluate(lookup))


@dataclass(frozen=True)
class In(Node):
    operand: Node
    values: tuple[Node, ...]
    negated: bool

    def evaluate(self, lookup: Lookup) -> bool | None:
        value = self.operand.evaluate(lookup)
        if value is None:
            return None
        found = any(compare("=", value, v.evaluate(lookup)) for v in self.values)
        return found != self.negated


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool

    def evaluate(self, lookup: Lookup) -> bool:
        return (self.operand.evaluate(lookup) is None) != self.negated


@dataclass(frozen=True)
class Like(Node):
    operand: Node
    pattern: re.Pattern[str]
    negated: bool

    def evaluate(self, lookup: Lookup) -> bool | None:
        value = self.operand.evaluate(lookup)
        if not isinstance(value, str):
            return None
        return (self.pattern.fullmatch(value) is not None) != self.negated


@dataclass(frozen=True)
class Exists(Node):
    name: str

    def evaluate(self, lookup: Lookup) -> bool:
        return lookup(self.name) is not None


@dataclass(frozen=True)
class Logical(Node):
    op: str  # AND, OR, NOT
    operands: tuple[Node, ...]

    def evaluate(self, lookup: Lookup) -> bool | None:
        values = [o.evaluate(lookup) for o in self.operands]
        if self.op == "NOT":
            return None if values[0] is None else not values[0]
        if self.op == "AND":
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)


def compare(op: str, left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return None
    numeric = (int, float)
    if isinstance(left, bool) != isinstance(right, bool):
        return None if op not in ("=", "<>", "!=") else op != "="
    same_kind = (isinstance(left, numeric) and isinstance(right, numeric)) or type(left) is type(right)
    if not same_kind:
        return None if op not in ("=", "<>", "!=") else op != "="
    result: bool = {
        "=": lambda: left == right, "<>": lambda: left != right, "!=": lambda: left != right,
        "<": lambda: left < right, "<=": lambda: left <= right,
        ">": lambda: left > right, ">=": lambda: left >= right,
    }[op]()
    return result


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = TOKEN.match(text, pos)
        if match is None or match.lastgroup is None:
            raise SqlFilterError(f"unsupported syntax at position {pos}: {text[pos:pos + 20]!r}")
        kind, value = match.lastgroup, match.group(match.lastgroup)
        start = match.start(kind)
        if kind == "name" and value.upper() in KEYWORDS:
            kind, value = "keyword", value.upper()
        tokens.append((kind, value, start))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self, *values: str) -> bool:
        if self.index >= len(self.tokens):
            return False
        kind, value, _ = self.tokens[self.index]
        return value in values and kind in ("op", "keyword")

    def take(self) -> tuple[str, str, int]:
        if self.index >= len(self.tokens):
            raise SqlFilterError(f"unexpected end of expression {self.text!r}")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        _, got, pos = self.take()
        if got != value:
            raise SqlFilterError(f"expected {value!r} at position {pos}, found {got!r}")

    def parse(self) -> Node:
        node = self.or_()
        if self.index < len(self.tokens):
            _, value, pos = self.tokens[self.index]
            raise SqlFilterError(f"unsupported syntax at position {pos}: {value!r} "
                                 f"(arithmetic, functions and actions are not supported)")
        return node

    def or_(self) -> Node:
        operands = [self.and_()]
        while self.peek("OR"):
            self.take()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else Logical("OR", tuple(operands))

    def and_(self) -> Node:
        operands = [self.not_()]
        while self.peek("AND"):
            self.take()
            operands.append(self.not_())
        return operands[0] if len(operands) == 1 else Logical("AND", tuple(operands))

    def not_(self) -> Node:
        if self.peek("NOT"):
            self.take()
            return Logical("NOT", (self.not_(),))
        return self.predicate()

    def predicate(self) -> Node:
        if self.peek("("):
            self.take()
            node = self.or_()
            self.expect(")")
            return node
        if self.peek("EXISTS"):
            self.take()
            self.expect("(")
            kind, name, pos = self.take()
            if kind != "name":
                raise SqlFilterError(f"EXISTS needs a property name at position {pos}")
            self.expect(")")
            return Exists(_unbracket(name))
        left = self.operand()
        return self.suffix(left)

    def suffix(self, left: Node) -> Node:
        negated = False
        if self.peek("NOT"):
            self.take()
            negated = True
            if not self.peek("IN", "LIKE"):
                raise SqlFilterError("NOT after an operand must be followed by IN or LIKE")
        if self.peek("IN"):
            self.take()
            return In(left, self.value_list(), negated)
        if self.peek("LIKE"):
            self.take()
            kind, pattern, pos = self.take()
            if kind != "string":
                raise SqlFilterError(f"LIKE needs a string pattern at position {pos}")
            if self.peek("ESCAPE"):
                raise SqlFilterError("LIKE ... ESCAPE is not supported")
            return Like(left, _like_pattern(_unquote(pattern)), negated)
        if self.peek("IS"):
            self.take()
            is_not = self.peek("NOT")
            if is_not:
                self.take()
            self.expect("NULL")
            return IsNull(left, is_not)
        if self.peek("=", "<>", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            return Compare(op, left, self.operand())
        if isinstance(left, Literal) and isinstance(left.value, bool):
            return left
        raise SqlFilterError(f"expected a comparison after operand in {self.text!r}")

    def value_list(self) -> tuple[Node, ...]:
        self.expect("(")
        values = [self.operand()]
        while self.peek(","):
            self.take()
            values.append(self.operand())
        self.expect(")")
        return tuple(values)

    def operand(self) -> Node:
        kind, value, pos = self.take()
        if kind == "string":
            return Literal(_unquote(value))
        if kind == "number":
            return Literal(float(value) if any(c in value for c in ".eE") else int(value))
        if kind == "keyword" and value in ("TRUE", "FALSE"):
            return Literal(value == "TRUE")
        if kind == "keyword" and value == "NULL":
            return Literal(None)
        if kind == "name":
            return Property(_unbracket(value))
        raise SqlFilterError(f"unexpected {value!r} at position {pos}")


def parse(text: str) -> Node:
    if not text.strip():
        raise SqlFilterError("the SQL filter expression is empty")
    return _Parser(text).parse()


def _unquote(token: str) -> str:
    return token[1:-1].replace("''", "'")


def _unbracket(name: str) -> str:
    return name.replace("[", "").replace("]", "")


def _like_pattern(pattern: str) -> re.Pattern[str]:
    parts = ["." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)
