"""XPath constraints (IR) → parameterised SQL over the store's tables.

Every value is a named parameter. Semantics (the same as the server store must give):

- Strings compare case-insensitively through `nf_lower` (`codec.fold`, PostgreSQL's `lower()`);
  `''` and empty are the same value. Enumerations compare by key, exactly.
- `a != v` holds for empty `a` too (it is `not(a = v)`); `<`/`>` never hold for empty. `not(e)` is
  two-valued: `(e) IS NOT 1`.
- Numbers compare exactly: a value the column cannot hold (`Integer > 1.5`, `DateTime` with
  microseconds) is turned into the equivalent bound (`> 1`); Decimals use the order-preserving
  text encoding of `codec`.
- Association paths are existential (`EXISTS` subqueries), in either direction and through
  reference sets. A path ending in a multi-valued end (`Order_Tags = $tag`) means "has that
  object among them"; `= empty` means "has none".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from nanoflow import ir
from nanoflow.runtime.store import codec
from nanoflow.runtime.store.schema import EntityLayout, Schema, quote
from nanoflow.runtime.values import LONG_MAX, LONG_MIN, EnumValue, MendixError, MxObject, type_name

Resolver = Callable[[ir.Variable | ir.MemberPath | ir.TokenRef], Any]

FLIP = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
NUMERIC_KINDS = codec.INTEGER_KINDS | {"Decimal", "DateTime"}
_MICRO = timedelta(microseconds=1)
_HUGE = 10**40


@dataclass(frozen=True, slots=True)
class Col:
    """A single value at the end of a path: an SQL expression and its column kind."""

    sql: str
    kind: str
    enum: str | None = None


@dataclass(frozen=True, slots=True)
class Many:
    """A multi-valued association end: `EXISTS (SELECT 1 FROM source WHERE link ...)`, with
    `other` the SQL of the related object's id."""

    source: str
    link: str
    other: str


Leaf = Col | Many
Continue = Callable[[Leaf], str]


def like_pattern(text: str, function: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if function == "contains":
        return f"%{escaped}%"
    if function == "starts-with":
        return f"{escaped}%"
    return f"%{escaped}"


class XPathSql:
    """Translates the constraints of one query; `params` collects the bound values."""

    def __init__(self, schema: Schema, module: str, resolve: Resolver) -> None:
        self.schema = schema
        self.names = schema.names
        self.module = module
        self.resolve = resolve
        self.params: dict[str, Any] = {}
        self._aliases = 0

    # ---- helpers ---------------------------------------------------------------------------

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def alias(self) -> str:
        self._aliases += 1
        return f"a{self._aliases}"

    def family_filter(self, layout: EntityLayout, alias: str) -> list[str]:
        """`alias.entity IN (...)` when the table also holds other entities."""
        if not layout.filtered:
            return []
        return [f"{alias}.entity IN ({', '.join(self.bind(e) for e in layout.family)})"]

    def where(
        self, constraints: Sequence[ir.XPathConstraint], entity: str, alias: str
    ) -> list[str]:
        """One SQL condition per constraint (all must hold)."""
        return [self.expr(c.expr, entity, alias) for c in constraints]

    def value(self, node: ir.XPathOperand) -> Any:
        if isinstance(node, ir.StringLit | ir.IntegerLit | ir.DecimalLit | ir.BooleanLit):
            return node.value
        if isinstance(node, ir.EmptyLit):
            return None
        assert isinstance(node, ir.Variable | ir.MemberPath | ir.TokenRef)
        value = self.resolve(node)
        if isinstance(value, MxObject) and value.removed:
            return None
        if isinstance(value, list):
            raise MendixError("a list cannot be compared in XPath")
        return value

    # ---- expressions -----------------------------------------------------------------------

    def expr(self, node: ir.XPathExpr, entity: str, alias: str) -> str:
        if isinstance(node, ir.XPathLogical):
            left = self.expr(node.left, entity, alias)
            right = self.expr(node.right, entity, alias)
            return f"({left} {node.op.upper()} {right})"
        if isinstance(node, ir.XPathNot):
            return f"(({self.expr(node.operand, entity, alias)}) IS NOT 1)"
        if isinstance(node, ir.XPathTest):
            return self.test(node.operand, entity, alias)
        if isinstance(node, ir.XPathFunction):
            return self.function(node, entity, alias)
        return self.compare(node, entity, alias)

    def test(self, operand: ir.XPathOperand, entity: str, alias: str) -> str:
        if not isinstance(operand, ir.XPathPath):
            return "1" if self.value(operand) is True else "0"

        def boolean(leaf: Leaf) -> str:
            if not isinstance(leaf, Col) or leaf.kind != "Boolean":
                raise MendixError("a constraint on its own must be a Boolean attribute")
            return f"{leaf.sql} = 1"

        return self.path(operand.steps, 0, entity, alias, boolean)

    def function(self, node: ir.XPathFunction, entity: str, alias: str) -> str:
        steps = node.path.steps
        if isinstance(node.value, ir.XPathPath):
            other = node.value.steps
            return self.path(
                steps,
                0,
                entity,
                alias,
                lambda text: self.path(
                    other, 0, entity, alias, lambda needle: _like_column(node.name, text, needle)
                ),
            )
        value = self.value(node.value)
        if isinstance(value, EnumValue):
            value = value.key
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise MendixError(f"`{node.name}` works on strings, not {type_name(value)}")
        needle = codec.fold(value)

        def match(leaf: Leaf) -> str:
            _string_leaf(node.name, leaf)
            assert isinstance(leaf, Col)
            if not needle:
                return "1"
            pattern = self.bind(like_pattern(needle, node.name))
            return f"nf_lower({leaf.sql}) LIKE {pattern} ESCAPE '\\'"

        return self.path(steps, 0, entity, alias, match)

    def compare(self, node: ir.XPathCompare, entity: str, alias: str) -> str:
        op, left, right = node.op, node.left, node.right
        if not isinstance(left, ir.XPathPath) and isinstance(right, ir.XPathPath):
            left, right, op = right, left, FLIP[op]  # type: ignore[assignment]
        if not isinstance(left, ir.XPathPath):
            return "1" if python_compare(op, self.value(left), self.value(right)) else "0"
        if isinstance(right, ir.XPathPath):
            steps = right.steps
            return self.path(
                left.steps,
                0,
                entity,
                alias,
                lambda lhs: self.path(steps, 0, entity, alias, lambda rhs: both(op, lhs, rhs)),
            )
        value = self.value(right)
        return self.path(left.steps, 0, entity, alias, lambda leaf: self.atom(op, leaf, value))

    # ---- paths -----------------------------------------------------------------------------

    def path(self, steps: Sequence[ir.Ident], i: int, entity: str, alias: str, k: Continue) -> str:
        """Follow `steps[i:]` from `entity` (rows as `alias`); `k` builds the condition on the
        value at the end."""
        layout = self.schema.layout(entity)
        step = steps[i]
        last = i == len(steps) - 1
        if step.text == "id" and last:
            return k(Col(f"{alias}.id", "Id"))
        column = layout.attributes.get(step.text)
        if column is not None:
            if not last:
                raise MendixError(f"`{step.text}` is an attribute: a path cannot go on after it")
            return k(Col(f"{alias}.{column.sql}", column.kind, column.enum))
        found = self.names.find_association(step, self.module, layout.qname)
        if found is None:
            raise MendixError(f"unknown member `{step.text}` of entity `{layout.qname}`")
        assoc, side = found
        target = assoc.target if side == "source" else assoc.source
        j = i + 1
        narrowed = False
        if j < len(steps):
            info = self.names.entities.get(self.names.qualify(steps[j].text, self.module))
            if info is not None and self.names.is_a(info.qname, target):
                target, j, narrowed = info.qname, j + 1, info.qname != target
        terminal = j == len(steps)
        if side == "source" and not assoc.many:
            ref = f"{alias}.{quote(assoc.qname)}"
            if terminal:
                return k(Col(ref, "Id"))
            inner = self.alias()
            tl = self.schema.layout(target)
            conds = [f"{inner}.id = {ref}", *self.family_filter(tl, inner)]
            conds.append(self.path(steps, j, target, inner, k))
            return f"EXISTS (SELECT 1 FROM {tl.table.sql} {inner} WHERE {' AND '.join(conds)})"
        if assoc.many:
            link_table = self.alias()
            mine, theirs = "owner_id", "target_id"
            if side == "target":
                mine, theirs = theirs, mine
            source = f"{self.schema.refset(assoc.qname).sql} {link_table}"
            conds = [f"{link_table}.{mine} = {alias}.id"]
            other = f"{link_table}.{theirs}"
            inner = link_table
            if not terminal or narrowed:
                inner = self.alias()
                tl = self.schema.layout(target)
                source += f" JOIN {tl.table.sql} {inner} ON {inner}.id = {other}"
                conds += self.family_filter(tl, inner)
                other = f"{inner}.id"
        else:
            inner = self.alias()
            tl = self.schema.layout(target)
            source = f"{tl.table.sql} {inner}"
            conds = [f"{inner}.{quote(assoc.qname)} = {alias}.id"]
            if narrowed:
                conds += self.family_filter(tl, inner)
            other = f"{inner}.id"
        if terminal:
            return k(Many(source, " AND ".join(conds), other))
        conds.append(self.path(steps, j, target, inner, k))
        return f"EXISTS (SELECT 1 FROM {source} WHERE {' AND '.join(conds)})"

    # ---- comparisons -----------------------------------------------------------------------

    def atom(self, op: str, leaf: Leaf, value: Any) -> str:
        """`leaf op value` for a resolved value."""
        if isinstance(value, MxObject):
            value = value.id
        if isinstance(leaf, Many):
            return self.many(op, leaf, value)
        kind, c = leaf.kind, leaf.sql
        if isinstance(value, EnumValue):
            value = value.key
        strings = kind in codec.STRING_KINDS or kind == "Enum"
        if value is None or (value == "" and strings):
            if op == "=":
                return f"({c} IS NULL OR {c} = '')" if strings else f"{c} IS NULL"
            if op == "!=":
                return f"({c} IS NOT NULL AND {c} <> '')" if strings else f"{c} IS NOT NULL"
            return "0"
        if kind in codec.STRING_KINDS:
            _expect(kind, value, str)
            return _op(op, f"nf_lower({c})", c, self.bind(codec.fold(value)))
        if kind in ("Enum", "Id"):
            _expect(kind, value, str)
            if op not in ("=", "!="):
                raise MendixError(f"{kind} values can only be compared with = and !=")
            return _op(op, c, c, self.bind(value))
        if kind == "Boolean":
            _expect(kind, value, bool)
            return _op(op, c, c, self.bind(int(value)))
        if kind in NUMERIC_KINDS:
            return self.numeric(op, leaf, value)
        raise MendixError(f"{kind} attributes can only be compared with empty")

    def numeric(self, op: str, leaf: Col, value: Any) -> str:
        c = leaf.sql
        exact = units(leaf.kind, value)
        if exact.denominator == 1:
            bound = int(exact)
        elif op == "=":
            return "0"
        elif op == "!=":
            return "1"
        else:
            bound = math.ceil(exact) if op in ("<", ">=") else math.floor(exact)
        if leaf.kind == "Decimal":
            return _op(op, c, c, self.bind(codec.encode_units(bound)))
        if bound > LONG_MAX or bound < LONG_MIN:
            above = bound > LONG_MAX
            holds = {"=": False, "!=": True, "<": above, "<=": above, ">": not above}
            holds[">="] = not above
            if op == "!=":
                return "1"
            return f"{c} IS NOT NULL" if holds[op] else "0"
        return _op(op, c, c, self.bind(bound))

    def many(self, op: str, leaf: Many, value: Any) -> str:
        if op not in ("=", "!="):
            raise MendixError("an association can only be compared with = and !=")
        if value is None or value == "":
            exists = f"EXISTS (SELECT 1 FROM {leaf.source} WHERE {leaf.link})"
            return f"NOT {exists}" if op == "=" else exists
        _expect("object", value, str)
        exists = (
            f"EXISTS (SELECT 1 FROM {leaf.source} WHERE {leaf.link} "
            f"AND {leaf.other} = {self.bind(value)})"
        )
        return exists if op == "=" else f"NOT {exists}"


def _string_leaf(function: str, leaf: Leaf) -> None:
    if not isinstance(leaf, Col) or leaf.kind not in codec.STRING_KINDS | {"Enum"}:
        raise MendixError(f"`{function}` works on string attributes")


def _like_column(function: str, text: Leaf, needle: Leaf) -> str:
    """`contains(A, B)` for two attributes: B escaped for LIKE inside SQL."""
    _string_leaf(function, text)
    _string_leaf(function, needle)
    assert isinstance(text, Col) and isinstance(needle, Col)
    escaped = (
        f"replace(replace(replace(nf_lower({needle.sql}), '\\', '\\\\'), '%', '\\%'), '_', '\\_')"
    )
    pattern = {
        "contains": f"'%' || {escaped} || '%'",
        "starts-with": f"{escaped} || '%'",
        "ends-with": f"'%' || {escaped}",
    }[function]
    return f"(coalesce({needle.sql}, '') = '' OR nf_lower({text.sql}) LIKE {pattern} ESCAPE '\\')"


def _op(op: str, lhs: str, column: str, param: str) -> str:
    """`lhs op param`; `!=` also holds where the column is empty."""
    if op == "!=":
        return f"({column} IS NULL OR {lhs} <> {param})"
    return f"{lhs} {op} {param}"


def _expect(kind: str, value: Any, expected: type) -> None:
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        raise MendixError(f"cannot compare {kind} with {type_name(value)} in XPath")


def units(kind: str, value: Any) -> Fraction:
    """A value in the integer units of a numeric column (1, 10⁻⁸, milliseconds), exactly."""
    if kind == "DateTime":
        _expect(kind, value, datetime)
        if value.tzinfo is None:
            value = value.replace(tzinfo=codec.EPOCH.tzinfo)
        return Fraction((value - codec.EPOCH) // _MICRO, 1000)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise MendixError(f"cannot compare {kind} with {type_name(value)} in XPath")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MendixError(f"cannot compare {kind} with {value}")
        if value.adjusted() > 40:
            value = _HUGE if value > 0 else -_HUGE
    exact = Fraction(value)
    return exact * 10**codec.FRACTION_DIGITS if kind == "Decimal" else exact


def both(op: str, lhs: Leaf, rhs: Leaf) -> str:
    """`lhs op rhs` for two paths."""
    if isinstance(lhs, Many) or isinstance(rhs, Many):
        raise MendixError("two lists of associated objects cannot be compared")
    left, right = lhs.sql, rhs.sql
    strings = codec.STRING_KINDS | {"Enum"}
    if (lhs.kind in codec.STRING_KINDS and rhs.kind in strings) or (
        rhs.kind in codec.STRING_KINDS and lhs.kind in strings
    ):
        left, right = f"nf_lower({left})", f"nf_lower({right})"
    elif lhs.kind != rhs.kind and not (
        lhs.kind in codec.INTEGER_KINDS and rhs.kind in codec.INTEGER_KINDS
    ):
        raise MendixError(f"cannot compare {lhs.kind} with {rhs.kind} in the offline store")
    if op == "!=":
        return f"{left} IS NOT {right}"
    return f"{left} {op} {right}"


def _plain(value: Any) -> Any:
    if isinstance(value, MxObject):
        return value.id
    if isinstance(value, EnumValue):
        return value.key
    if isinstance(value, str):
        return codec.fold(value) or None
    return value


def python_compare(op: str, left: Any, right: Any) -> bool:
    """A comparison of two values (no attribute involved), with XPath's rules."""
    a, b = _plain(left), _plain(right)
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op])
    except TypeError:
        raise MendixError(
            f"cannot compare {type_name(left)} with {type_name(right)} in XPath"
        ) from None
