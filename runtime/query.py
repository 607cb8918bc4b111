"""Retrieves compiled to SQL once: XPath constraints (IR) → parameterised SQL over a store's
tables, in the store's dialect.

A `Query` is made when a flow is generated. The first time it runs against a store layout it
is translated to SQL with the values of that call; every decision the translation takes on a
value (is it empty, is a number whole, does it fit a Long) is recorded as a *guard*, and every
value reaches the SQL as a bound parameter computed by a small function of the call's values.
Later calls reuse the translation whose guards hold for their values (usually the first), so a
retrieve costs a few guard checks and parameter conversions, never a walk over the XPath.

Semantics (the same on every store):

- Strings compare case-insensitively (`codec.fold`: the dialect's folding function);
  `''` and empty are the same value. Enumerations compare by key, exactly.
- `a != v` holds for empty `a` too (it is `not(a = v)`); `<`/`>` never hold for empty. `not(e)` is
  two-valued.
- Numbers compare exactly: a value the column cannot hold (`Integer > 1.5`, `DateTime` with
  microseconds) is turned into the equivalent bound (`> 1`).
- Association paths are existential (`EXISTS` subqueries), in either direction and through
  reference sets. A path ending in a multi-valued end (`Order_Tags = $tag`) means "has that
  object among them"; `= empty` means "has none".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from nanoflow import ir
from nanoflow.runtime.store import codec
from nanoflow.runtime.store.schema import EntityLayout, Schema, TableLayout, quote
from nanoflow.runtime.values import LONG_MAX, LONG_MIN, EnumValue, MendixError, MxObject, type_name

FLIP = {"=": "=", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
NUMERIC_KINDS = codec.INTEGER_KINDS | {"Decimal", "DateTime"}
_MICRO = timedelta(microseconds=1)
_HUGE = 10**40
Values = Sequence[Any]
Restriction = Callable[[EntityLayout], tuple[str, dict[str, Any]]]
"""A condition (SQL over the rows as `t`, and its parameters) for rows of a layout."""


# ---- dialects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """How one database spells what the query compiler needs."""

    name: str
    fold: str
    """The case-folding function (`codec.fold` semantics)."""
    true: str
    false: str
    decimal_param: Callable[[int], Any]
    """A Decimal bound (in units of 10⁻⁸) as a parameter for a Decimal column."""
    bool_param: Callable[[bool], Any]
    id_list: Callable[[str], str]
    """`SELECT` of the ids in one list parameter (`:p`)."""
    ids_param: Callable[[Sequence[str]], Any]
    """The list parameter's value for some ids."""
    unplanned_id: str
    """`t.id` as a sort key that does not steer the plan towards the primary key."""
    distinct: str
    """The null-safe inequality operator."""

    def is_true(self, expr: str) -> str:
        return f"{expr} = {self.true}"

    def is_not_true(self, expr: str) -> str:
        return f"(({expr}) IS NOT {self.true})"


SQLITE = Dialect(
    name="sqlite",
    fold="nf_lower",
    true="1",
    false="0",
    decimal_param=codec.encode_units,
    bool_param=int,
    id_list=lambda p: f"SELECT value FROM json_each({p})",
    ids_param=lambda ids: json.dumps(list(ids)),
    unplanned_id="+t.id",
    distinct="IS NOT",
)

POSTGRESQL = Dialect(
    name="postgresql",
    fold="lower",
    true="TRUE",
    false="FALSE",
    decimal_param=lambda units: Decimal(units).scaleb(-codec.FRACTION_DIGITS),
    bool_param=bool,
    id_list=lambda p: f"SELECT unnest(CAST({p} AS TEXT[]))",
    ids_param=list,
    unplanned_id="t.id",
    distinct="IS DISTINCT FROM",
)


# ---- compiled queries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelectSql:
    """One ready statement: SQL with named parameters, over one table's `select_list`."""

    sql: str
    params: dict[str, Any]
    layout: EntityLayout

    @property
    def table(self) -> TableLayout:
        return self.layout.table


@dataclass(slots=True)
class _Plan:
    """One translation: valid while its guards give the recorded answers."""

    guards: list[tuple[Callable[[Values], Any], Any]]
    sql: str
    params: list[tuple[str, Callable[[Values], Any]]]
    layout: EntityLayout
    head: str = ""
    """`SELECT ... FROM ...` and the conditions (`sql` is `head` + `tail`)."""
    tail: str = ""
    """`ORDER BY` and paging."""
    conditional: bool = False
    """Whether `head` ends in a `WHERE` clause."""

    def restricted(self, condition: str) -> str:
        """The statement with one more condition (ANDed with the query's own)."""
        joiner = " AND " if self.conditional else " WHERE "
        return f"{self.head}{joiner}({condition}){self.tail}"


@dataclass(eq=False)
class Query:
    """A retrieve's query, made once when its flow is generated.

    `slots` are the variable and token nodes of the constraints in the order of the values
    tuple a call passes. An association retrieve (`association`, `side`) passes the source
    object's id after them.
    """

    entity: str
    constraints: tuple[ir.XPathConstraint, ...]
    sort: tuple[tuple[str, bool], ...]
    module: str
    slots: tuple[ir.Expr, ...] = ()
    association: str = ""
    side: str = ""
    _plans: dict[tuple[int, bool], list[_Plan]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        entity: str,
        constraints: tuple[ir.XPathConstraint, ...],
        sort: tuple[tuple[str, bool], ...],
        module: str,
        association: str = "",
        side: str = "",
    ) -> Query:
        """A query over these constraints, its slots found in text order."""
        return cls(entity, constraints, sort, module, value_nodes(constraints), association, side)

    def select(
        self,
        schema: Schema,
        dialect: Dialect,
        values: Values,
        limit: int | None = None,
        offset: int | None = None,
        where: Restriction | None = None,
    ) -> SelectSql:
        """The statement for one call's values (and paging); `where` adds a condition on the
        selected rows (as `t`), given their layout (the server's access rules)."""
        paged = limit is not None or bool(offset)
        key = (id(schema), paged)
        plans = self._plans.get(key)
        if plans is None:
            plans = self._plans[key] = []
        for plan in plans:
            for guard, answer in plan.guards:
                if guard(values) != answer:
                    break
            else:
                break
        else:
            plan = _Translator(schema, dialect, self.module, values, len(self.slots)).plan(
                self, paged
            )
            plans.append(plan)
        params = {name: make(values) for name, make in plan.params}
        sql = plan.sql
        if where is not None:
            extra, extra_params = where(plan.layout)
            sql = plan.restricted(extra)
            params.update(extra_params)
        if paged:
            if (limit is not None and limit < 0) or (offset is not None and offset < 0):
                raise MendixError("limit and offset of a retrieve cannot be negative")
            params["limit"] = -1 if limit is None else limit
            params["offset"] = offset or 0
        return SelectSql(sql, params, plan.layout)


def value_nodes(constraints: Sequence[ir.XPathConstraint]) -> tuple[ir.Expr, ...]:
    """The variables, member paths and tokens of constraints, in text order."""
    found: list[ir.Expr] = []

    def visit(node: Any) -> None:
        if isinstance(node, ir.Variable | ir.MemberPath | ir.TokenRef):
            found.append(node)
        elif isinstance(node, ir.Node):
            for value in ir.values(node):
                if isinstance(value, ir.Node):
                    visit(value)

    for constraint in constraints:
        visit(constraint)
    return tuple(found)


def condition(
    schema: Schema,
    dialect: Dialect,
    entity: str,
    constraints: Sequence[ir.XPathConstraint],
    module: str,
    values: Values,
    alias: str = "t",
    prefix: str = "c",
) -> tuple[str, dict[str, Any]]:
    """The SQL condition of constraints on rows of `entity` (as `alias`), with its parameters
    (named `<prefix><n>`); `values` are those of `value_nodes(constraints)` (access rules and
    offline filters have tokens only)."""
    translator = _Translator(schema, dialect, module, values, len(values))
    translator._slot_of = {id(n): i for i, n in enumerate(value_nodes(constraints))}
    translator.prefix = prefix
    parts = [translator.expr(c.expr, entity, alias) for c in constraints]
    sql = " AND ".join(f"({p})" for p in parts) if parts else dialect.true
    return sql, {name: make(values) for name, make in translator.params}


# ---- translation -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Val:
    """A value of the query: a constant, or a function of the call's values."""

    get: Callable[[Values], Any] | None
    sample: Any


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


def _slot_value(value: Any) -> Any:
    """A variable's value as XPath sees it: a removed object is empty; lists are refused."""
    if isinstance(value, MxObject):
        return None if value.removed else value
    if isinstance(value, list):
        raise MendixError("a list cannot be compared in XPath")
    return value


class _Translator:
    """Translates one query for one store layout, recording guards and parameters."""

    def __init__(
        self, schema: Schema, dialect: Dialect, module: str, values: Values, slots: int
    ) -> None:
        self.schema = schema
        self.names = schema.names
        self.dialect = dialect
        self.module = module
        self.values = values
        self.slots = slots
        self.guards: list[tuple[Callable[[Values], Any], Any]] = []
        self.params: list[tuple[str, Callable[[Values], Any]]] = []
        self._slot_of: dict[int, int] = {}
        self._aliases = 0
        self.prefix = "p"

    def plan(self, query: Query, paged: bool) -> _Plan:
        self._slot_of = {id(node): i for i, node in enumerate(query.slots)}
        d = self.dialect
        if query.association:
            layout, conds = self._anchor(query)
        else:
            layout = self.schema.layout(query.entity)
            conds = self.family_filter(layout, "t")
        conds += [self.expr(c.expr, layout.qname, "t") for c in query.constraints]
        table = layout.table
        head = f"SELECT {table.select_list('t')} FROM {table.sql} t"
        if conds:
            head += " WHERE " + " AND ".join(conds)
        tail = self._order_by(layout, query.sort, paged)
        if paged:
            limit = "NULLIF(:limit, -1)" if d.name == "postgresql" else ":limit"
            tail += f" LIMIT {limit} OFFSET :offset"
        return _Plan(
            self.guards, head + tail, self.params, layout, head, tail, conditional=bool(conds)
        )

    def _anchor(self, query: Query) -> tuple[EntityLayout, list[str]]:
        """The condition tying an association retrieve to its source object (the value after
        the slots)."""
        assoc = self.schema.association(query.association, self.module)
        index = self.slots
        me = self.bind(Val(lambda vs: vs[index], self.values[index]))
        if query.side == "source":
            layout = self.schema.layout(assoc.target)
            if assoc.many:
                refset = self.schema.refset(assoc.qname).sql
                cond = f"t.id IN (SELECT target_id FROM {refset} WHERE owner_id = {me})"
            else:
                owner = self.schema.layout(assoc.source).table.sql
                cond = f"t.id = (SELECT {quote(assoc.qname)} FROM {owner} WHERE id = {me})"
        else:
            layout = self.schema.layout(assoc.source)
            if assoc.many:
                refset = self.schema.refset(assoc.qname).sql
                cond = f"t.id IN (SELECT owner_id FROM {refset} WHERE target_id = {me})"
            else:
                cond = f"t.{quote(assoc.qname)} = {me}"
        return layout, [cond, *self.family_filter(layout, "t")]

    def _order_by(self, layout: EntityLayout, sort: Sequence[tuple[str, bool]], paged: bool) -> str:
        terms = []
        for name, descending in sort:
            column = layout.attributes.get(name) or layout.attributes.get(name.rsplit(".", 1)[-1])
            if column is None:
                raise MendixError(f"cannot sort {layout.qname} by `{name}`: no such attribute")
            expr = f"t.{column.sql}"
            if column.kind in codec.STRING_KINDS:
                expr = f"{self.dialect.fold}({expr})"
            terms.append(f"{expr} DESC NULLS LAST" if descending else f"{expr} ASC NULLS FIRST")
        if not terms and not paged:
            return ""  # no order asked for: the order the query plan gives
        # a sort key that does not steer the plan; plain `t.id` lets a limited retrieve walk it
        terms.append("t.id" if paged and not terms else self.dialect.unplanned_id)
        return " ORDER BY " + ", ".join(terms)

    # ---- values, guards and parameters -----------------------------------------------------

    def value(self, node: ir.XPathOperand) -> Val:
        if isinstance(node, ir.StringLit | ir.IntegerLit | ir.DecimalLit | ir.BooleanLit):
            return Val(None, node.value)
        if isinstance(node, ir.EmptyLit):
            return Val(None, None)
        index = self._slot_of[id(node)]

        def get(vs: Values) -> Any:
            return _slot_value(vs[index])

        return Val(get, get(self.values))

    def decide(self, val: Val, question: Callable[[Any], Any]) -> Any:
        """The answer to a question about a value; for a variable, a guard of the plan."""
        answer = question(val.sample)
        get = val.get
        if get is not None:
            self.guards.append((lambda vs: question(get(vs)), answer))
        return answer

    def bind(self, val: Val, convert: Callable[[Any], Any] | None = None) -> str:
        """A parameter holding the (converted) value."""
        name = f"{self.prefix}{len(self.params)}"
        get = val.get
        if get is None:
            constant = convert(val.sample) if convert is not None else val.sample
            self.params.append((name, lambda vs: constant))
        elif convert is None:
            self.params.append((name, get))
        else:
            convert(val.sample)  # a bad value fails now, as it will on every call
            self.params.append((name, lambda vs: convert(get(vs))))
        return f":{name}"

    def constant(self, value: Any) -> str:
        return self.bind(Val(None, value))

    def alias(self) -> str:
        self._aliases += 1
        return f"{self.prefix}a{self._aliases}"

    def family_filter(self, layout: EntityLayout, alias: str) -> list[str]:
        """`alias.entity IN (...)` when the table also holds other entities."""
        if not layout.filtered:
            return []
        return [f"{alias}.entity IN ({', '.join(self.constant(e) for e in layout.family)})"]

    def truth(self, holds: bool) -> str:
        return self.dialect.true if holds else self.dialect.false

    # ---- expressions -----------------------------------------------------------------------

    def expr(self, node: ir.XPathExpr, entity: str, alias: str) -> str:
        if isinstance(node, ir.XPathLogical):
            left = self.expr(node.left, entity, alias)
            right = self.expr(node.right, entity, alias)
            return f"({left} {node.op.upper()} {right})"
        if isinstance(node, ir.XPathNot):
            return self.dialect.is_not_true(self.expr(node.operand, entity, alias))
        if isinstance(node, ir.XPathTest):
            return self.test(node.operand, entity, alias)
        if isinstance(node, ir.XPathFunction):
            return self.function(node, entity, alias)
        return self.compare(node, entity, alias)

    def test(self, operand: ir.XPathOperand, entity: str, alias: str) -> str:
        if not isinstance(operand, ir.XPathPath):
            return self.truth(self.decide(self.value(operand), lambda v: v is True))

        def boolean(leaf: Leaf) -> str:
            if not isinstance(leaf, Col) or leaf.kind != "Boolean":
                raise MendixError("a constraint on its own must be a Boolean attribute")
            return self.dialect.is_true(leaf.sql)

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
                    other,
                    0,
                    entity,
                    alias,
                    lambda needle: self._like_column(node.name, text, needle),
                ),
            )
        val = self.value(node.value)
        name = node.name

        def needle(value: Any) -> str:
            if isinstance(value, EnumValue):
                value = value.key
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise MendixError(f"`{name}` works on strings, not {type_name(value)}")
            return codec.fold(value)

        def match(leaf: Leaf) -> str:
            _string_leaf(name, leaf)
            assert isinstance(leaf, Col)
            if not self.decide(val, lambda v: bool(needle(v))):
                return self.dialect.true
            pattern = self.bind(val, lambda v: like_pattern(needle(v), name))
            return f"{self.dialect.fold}({leaf.sql}) LIKE {pattern} ESCAPE '\\'"

        return self.path(steps, 0, entity, alias, match)

    def compare(self, node: ir.XPathCompare, entity: str, alias: str) -> str:
        op, left, right = node.op, node.left, node.right
        if not isinstance(left, ir.XPathPath) and isinstance(right, ir.XPathPath):
            left, right, op = right, left, FLIP[op]  # type: ignore[assignment]
        if not isinstance(left, ir.XPathPath):
            a, b = self.value(left), self.value(right)
            both_ = Val(
                _pair(a, b),
                (a.sample, b.sample),
            )
            return self.truth(self.decide(both_, lambda ab: python_compare(op, ab[0], ab[1])))
        if isinstance(right, ir.XPathPath):
            steps = right.steps
            return self.path(
                left.steps,
                0,
                entity,
                alias,
                lambda lhs: self.path(steps, 0, entity, alias, lambda rhs: self.both(op, lhs, rhs)),
            )
        val = self.value(right)
        return self.path(left.steps, 0, entity, alias, lambda leaf: self.atom(op, leaf, val))

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

    def atom(self, op: str, leaf: Leaf, val: Val) -> str:
        """`leaf op value` for a value of the call."""
        if isinstance(leaf, Many):
            return self.many(op, leaf, val)
        kind, c = leaf.kind, leaf.sql
        strings = kind in codec.STRING_KINDS or kind == "Enum"
        if self.decide(val, lambda v: _is_empty(v, strings)):
            if op == "=":
                return f"({c} IS NULL OR {c} = '')" if strings else f"{c} IS NULL"
            if op == "!=":
                return f"({c} IS NOT NULL AND {c} <> '')" if strings else f"{c} IS NOT NULL"
            return self.dialect.false
        if kind in codec.STRING_KINDS:
            param = self.bind(val, lambda v: codec.fold(_expect(kind, _key(v), str)))
            return _op(op, f"{self.dialect.fold}({c})", c, param)
        if kind in ("Enum", "Id"):
            if op not in ("=", "!="):
                raise MendixError(f"{kind} values can only be compared with = and !=")
            return _op(op, c, c, self.bind(val, lambda v: _expect(kind, _key(v), str)))
        if kind == "Boolean":
            boolean = self.dialect.bool_param
            return _op(op, c, c, self.bind(val, lambda v: boolean(_expect(kind, v, bool))))
        if kind in NUMERIC_KINDS:
            return self.numeric(op, leaf, val)
        raise MendixError(f"{kind} attributes can only be compared with empty")

    def numeric(self, op: str, leaf: Col, val: Val) -> str:
        c, kind = leaf.sql, leaf.kind
        shape = self.decide(val, lambda v: _numeric_shape(kind, op, v))
        if shape == "never":
            return self.dialect.false
        if shape == "always":
            return self.dialect.true
        if shape == "not empty":
            return f"{c} IS NOT NULL"
        if kind == "Decimal":
            encode = self.dialect.decimal_param
            param = self.bind(val, lambda v: encode(_bound(kind, op, v)))
        else:
            param = self.bind(val, lambda v: _bound(kind, op, v))
        return _op(op, c, c, param)

    def many(self, op: str, leaf: Many, val: Val) -> str:
        if op not in ("=", "!="):
            raise MendixError("an association can only be compared with = and !=")
        if self.decide(val, lambda v: v is None or v == ""):
            exists = f"EXISTS (SELECT 1 FROM {leaf.source} WHERE {leaf.link})"
            return f"NOT {exists}" if op == "=" else exists
        param = self.bind(val, lambda v: _expect("object", _key(v), str))
        exists = (
            f"EXISTS (SELECT 1 FROM {leaf.source} WHERE {leaf.link} AND {leaf.other} = {param})"
        )
        return exists if op == "=" else f"NOT {exists}"

    def both(self, op: str, lhs: Leaf, rhs: Leaf) -> str:
        """`lhs op rhs` for two paths."""
        if isinstance(lhs, Many) or isinstance(rhs, Many):
            raise MendixError("two lists of associated objects cannot be compared")
        left, right = lhs.sql, rhs.sql
        strings = codec.STRING_KINDS | {"Enum"}
        if (lhs.kind in codec.STRING_KINDS and rhs.kind in strings) or (
            rhs.kind in codec.STRING_KINDS and lhs.kind in strings
        ):
            fold = self.dialect.fold
            left, right = f"{fold}({left})", f"{fold}({right})"
        elif lhs.kind != rhs.kind and not (
            lhs.kind in codec.INTEGER_KINDS and rhs.kind in codec.INTEGER_KINDS
        ):
            raise MendixError(f"cannot compare {lhs.kind} with {rhs.kind} in the offline store")
        if op == "!=":
            return f"{left} {self.dialect.distinct} {right}"
        return f"{left} {op} {right}"

    def _like_column(self, function: str, text: Leaf, needle: Leaf) -> str:
        """`contains(A, B)` for two attributes: B escaped for LIKE inside SQL."""
        _string_leaf(function, text)
        _string_leaf(function, needle)
        assert isinstance(text, Col) and isinstance(needle, Col)
        fold = self.dialect.fold
        escaped = (
            f"replace(replace(replace({fold}({needle.sql}), '\\', '\\\\'), '%', '\\%'), "
            "'_', '\\_')"
        )
        pattern = {
            "contains": f"'%' || {escaped} || '%'",
            "starts-with": f"{escaped} || '%'",
            "ends-with": f"'%' || {escaped}",
        }[function]
        return (
            f"(coalesce({needle.sql}, '') = '' OR {fold}({text.sql}) LIKE {pattern} ESCAPE '\\')"
        )


def _pair(a: Val, b: Val) -> Callable[[Values], Any] | None:
    if a.get is None and b.get is None:
        return None
    ga = a.get or (lambda vs: a.sample)
    gb = b.get or (lambda vs: b.sample)
    return lambda vs: (ga(vs), gb(vs))


def _key(value: Any) -> Any:
    if isinstance(value, MxObject):
        return value.id
    if isinstance(value, EnumValue):
        return value.key
    return value


def _is_empty(value: Any, strings: bool) -> bool:
    return value is None or (strings and value == "") or (
        strings and isinstance(value, EnumValue) and not value.key
    )


def _string_leaf(function: str, leaf: Leaf) -> None:
    if not isinstance(leaf, Col) or leaf.kind not in codec.STRING_KINDS | {"Enum"}:
        raise MendixError(f"`{function}` works on string attributes")


def _op(op: str, lhs: str, column: str, param: str) -> str:
    """`lhs op param`; `!=` also holds where the column is empty."""
    if op == "!=":
        return f"({column} IS NULL OR {lhs} <> {param})"
    return f"{lhs} {op} {param}"


def _expect(kind: str, value: Any, expected: type) -> Any:
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        raise MendixError(f"cannot compare {kind} with {type_name(value)} in XPath")
    return value


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


def _bound(kind: str, op: str, value: Any) -> int:
    """The whole number of column units equivalent to comparing with `value`."""
    exact = units(kind, value)
    if exact.denominator == 1:
        return int(exact)
    return math.ceil(exact) if op in ("<", ">=") else math.floor(exact)


def _numeric_shape(kind: str, op: str, value: Any) -> str:
    """How `column op value` reads: compare with a bound, or a constant answer."""
    exact = units(kind, value)
    if exact.denominator != 1 and op in ("=", "!="):
        return "never" if op == "=" else "always"
    if kind == "Decimal":
        return "bound"
    bound = _bound(kind, op, value)
    if bound > LONG_MAX or bound < LONG_MIN:
        if op == "!=":
            return "always"
        above = bound > LONG_MAX
        holds = {"=": False, "<": above, "<=": above, ">": not above, ">=": not above}[op]
        return "not empty" if holds else "never"
    return "bound"


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
