"""Expressions compiled to Python source text, using the checker's static types.

Generated code runs inside an `async def` (see `flowgen`): variables are Python locals named
`v_<name>`, `_ctx` is the evaluation context, `_rt` the runtime, and constants are globals the
generator registers with `Emitter.const`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nanoflow import ir
from nanoflow import types as t
from nanoflow.functions import list_function_of
from nanoflow.list_functions import LIST_FUNCTIONS, Shape
from nanoflow.runtime.values import EnumValue

if TYPE_CHECKING:
    from nanoflow.compiler import App

INT_TYPES = ("Integer", "Long")
LONG_BOUNDS = "-9223372036854775808 <= {t} <= 9223372036854775807"


class Constants:
    """Globals of one generated module: values the code refers to by name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self._by_key: dict[Any, str] = {}

    def add(self, value: Any, hint: str = "k") -> str:
        key = (type(value).__name__, repr(value)) if _hashable(value) else id(value)
        name = self._by_key.get(key)
        if name is None:
            name = f"_K{hint}{len(self.values)}"
            self.values[name] = value
            self._by_key[key] = name
        return name


def _assigned(text: str, target: str | None) -> str:
    return text if target is None else f"({target} := {text})"


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | Decimal | EnumValue | tuple)


class ExprGen:
    """Turns expressions of one flow into Python expression text."""

    def __init__(self, app: App, module: str, consts: Constants) -> None:
        self.app = app
        self.names = app.names
        self.module = module
        self.types = app.expression_types
        self.consts = consts
        self._temp = 0
        # name of the Python local for `$currentIndex`, `$currentObject`, ...; a stack of frames
        self.aliases: list[dict[str, str]] = []
        self.needs_await = False

    def temp(self) -> str:
        self._temp += 1
        return f"_t{self._temp}"

    def type_of(self, expr: ir.Expr) -> t.Type:
        return self.types.get(id(expr), t.ERROR)

    def var(self, name: str) -> str:
        for frame in reversed(self.aliases):
            if name in frame:
                return frame[name]
        return f"v_{name}"

    # ---- entry ---------------------------------------------------------------------------------

    def gen(self, expr: ir.Expr) -> str:
        method = getattr(self, "_" + type(expr).__name__)
        text: str = method(expr)
        return text

    def describe(self, expr: ir.Expr) -> str:
        """How an operand is named in error messages."""
        if isinstance(expr, ir.Variable):
            return f"`${expr.name}`"
        if isinstance(expr, ir.MemberPath):
            return "`$" + expr.variable.name + "".join("/" + s.text for s in expr.steps) + "`"
        return "an operand"

    def not_empty(self, expr: ir.Expr, op: str) -> str:
        """The operand's text, raising a clear error when it is empty at run time."""
        text = self.gen(expr)
        if isinstance(expr, ir.IntegerLit | ir.DecimalLit | ir.StringLit | ir.BooleanLit):
            return text
        what = self.consts.add(self.describe(expr), "s")
        opname = self.consts.add(op, "s")
        if isinstance(expr, ir.Variable):
            return f"({text} if {text} is not None else _empty({what}, {opname}))"
        return f"_nn({text}, {what}, {opname})"

    def boolean(self, expr: ir.Expr, what: str) -> str:
        if isinstance(expr, ir.Compare | ir.Logical | ir.Not | ir.BooleanLit):
            return self.gen(expr)
        return f"_bool({self.gen(expr)}, {self.consts.add(what, 's')})"

    # ---- nodes -----------------------------------------------------------------------------------

    def _StringLit(self, e: ir.StringLit) -> str:
        return repr(e.value)

    def _IntegerLit(self, e: ir.IntegerLit) -> str:
        return repr(e.value)

    def _DecimalLit(self, e: ir.DecimalLit) -> str:
        return self.consts.add(e.value, "d")

    def _BooleanLit(self, e: ir.BooleanLit) -> str:
        return "True" if e.value else "False"

    def _EmptyLit(self, e: ir.EmptyLit) -> str:
        return "None"

    def _Variable(self, e: ir.Variable) -> str:
        name = self.var(e.name)
        if isinstance(self.type_of(e), t.ObjectType):
            return f"({name} if {name} is None or not {name}.removed else None)"
        return name

    def _MemberPath(self, e: ir.MemberPath) -> str:
        current = self.type_of(e.variable)
        text = self.var(e.variable.name)  # `_attr` and `follow` treat removed objects as empty
        shown = f"${e.variable.name}"
        steps = e.steps
        index = 0
        while index < len(steps):
            step = steps[index]
            entity = current.entity if isinstance(current, t.ObjectType) else "*"
            info = self.names.entities.get(entity)
            attr = info.attributes.get(step.text) if info else None
            what = self.consts.add(shown, "s")
            if attr is not None:
                text = f"_attr({text}, {self.consts.add(attr.name, 's')}, {what})"
                current = attr.type
                index += 1
            else:
                found = self.names.find_association(step, self.module, entity)
                assert found is not None, f"unresolved member {step.text} of {entity}"
                assoc, _side = found
                key = self.consts.add(assoc.qname, "s")
                if assoc.many:
                    text = f"(await _rt.follow_set({text}, {key}, {what}))"
                    current = t.ListType(assoc.target)
                else:
                    text = f"(await _rt.follow({text}, {key}, {what}))"
                    current = t.ObjectType(assoc.target)
                self.needs_await = True
                index += 1
                if index < len(steps):
                    target = self.names.entities.get(
                        self.names.qualify(steps[index].text, self.module)
                    )
                    if target is not None and self.names.is_a(assoc.target, target.qname):
                        index += 1
            shown += "/" + step.text
        return text

    def _NameRef(self, e: ir.NameRef) -> str:
        found = self.type_of(e)
        assert isinstance(found, t.EnumType), f"name {e.name.text} is not an enumeration value"
        key = e.name.text.rsplit(".", 1)[-1]
        return self.consts.add(EnumValue.of(found.enum, key), "e")

    def _TokenRef(self, e: ir.TokenRef) -> str:
        return f"_token(_ctx, {self.consts.add(e.name, 's')})"

    def _Negate(self, e: ir.Negate) -> str:
        return f"_neg({self.not_empty(e.operand, '-')})"

    def _Not(self, e: ir.Not) -> str:
        return f"(not {self.boolean(e.operand, 'the operand of `not`')})"

    def _Logical(self, e: ir.Logical) -> str:
        chain = ir.left_chain(e, ir.Logical)
        bottom = chain[-1]
        left = self.boolean(bottom.left, f"the left operand of `{bottom.op}`")
        rights = [
            (node.op, self.boolean(node.right, f"the right operand of `{node.op}`"))
            for node in reversed(chain)
        ]
        if len({op for op, _ in rights}) == 1:  # `a and b and c`: flat in Python too
            return f"({left}{''.join(f' {op} {right}' for op, right in rights)})"
        tmp = self.temp()
        first_op, first_right = rights[0]
        steps = [f"({tmp} := {left} {first_op} {first_right})"]
        steps += [f"({tmp} := {tmp} {op} {right})" for op, right in rights[1:]]
        return f"({', '.join(steps)})[-1]"

    def _IfExpr(self, e: ir.IfExpr) -> str:
        cond = self.boolean(e.condition, "the condition of `if`")
        then = self.coerce(e.then, self.type_of(e))
        other = self.coerce(e.otherwise, self.type_of(e))
        return f"({then} if {cond} else {other})"

    def coerce(self, expr: ir.Expr, target: t.Type | None) -> str:
        """An expression's text, converted to Decimal where a Decimal is expected."""
        text = self.gen(expr)
        if target == t.DECIMAL and t.is_integral(self.type_of(expr)):
            return f"_to_decimal({text})"
        return text

    def _Binary(self, e: ir.Binary) -> str:
        chain = ir.left_chain(e, ir.Binary)
        if len(chain) == 1:
            return self.binary(e, self.left_operand(e), None)
        # `$a + $b - $c ...`: one temporary carries the value from step to step, in a tuple,
        # so that the generated code does not nest deeper as the chain grows
        tmp = self.temp()
        bottom = chain[-1]
        steps = [self.binary(bottom, self.left_operand(bottom), tmp)]
        steps += [self.binary(node, tmp, tmp) for node in reversed(chain[:-1])]
        return f"({', '.join(steps)})[-1]"

    def left_operand(self, e: ir.Binary) -> str:
        if self.type_of(e) == t.STRING and e.op == "+":
            return self.gen(e.left)
        return self.not_empty(e.left, e.op)

    def binary(self, e: ir.Binary, left: str, target: str | None) -> str:
        """One operator applied to `left` (already checked for empty) and `e.right`; with a
        `target`, the text also assigns the value to that name."""
        op = e.op
        if self.type_of(e) == t.STRING and op == "+":
            return _assigned(f"_concat(_ctx, {left}, {self.gen(e.right)})", target)
        right = self.not_empty(e.right, op)
        integral = t.is_integral(self.type_of(e.left)) and t.is_integral(self.type_of(e.right))
        if integral and op in ("+", "-", "*"):
            tmp = target or self.temp()
            bounds = LONG_BOUNDS.format(t=f"({tmp} := {left} {op} {right})")
            return f"({tmp} if {bounds} else _overflow({self.consts.add(op, 's')}))"
        if integral and op == "mod" and isinstance(e.right, ir.IntegerLit) and e.right.value > 0:
            tmp = self.temp()
            k = e.right.value
            text = f"({tmp} % {k} if ({tmp} := {left}) >= 0 else -((-{tmp}) % {k}))"
            return _assigned(text, target)
        helper = {"+": "_add", "-": "_sub", "*": "_mul", ":": "_div", "div": "_div", "mod": "_mod"}
        return _assigned(f"{helper[op]}({left}, {right})", target)

    def _Compare(self, e: ir.Compare) -> str:
        lt = self.type_of(e.left)
        rt = self.type_of(e.right)
        op = e.op
        simple = (t.is_numeric(lt) and t.is_numeric(rt)) or (
            lt == rt and lt in (t.DATETIME, t.BOOLEAN)
        )
        if op in ("=", "!="):
            left = self.gen(e.left)
            right = self.gen(e.right)
            if simple or (isinstance(lt, t.EnumType) and lt == rt):
                return f"({left} {'==' if op == '=' else '!='} {right})"
            if op == "=":
                return f"_eq({left}, {right})"
            return f"(not _eq({left}, {right}))"
        left = self.not_empty(e.left, op)
        right = self.not_empty(e.right, op)
        if simple:
            return f"({left} {op} {right})"
        return f"_order({left}, {right}, {self.consts.add(op, 's')})"

    def _FunctionCall(self, e: ir.FunctionCall) -> str:
        name = e.name.text
        args = e.args
        first_type = self.type_of(args[0]) if args and not isinstance(args[0], ir.SortKey) else None
        if list_function_of(name, first_type) is not None:
            return self.list_function(e)
        fn = self.consts.add(name, "s")
        parts = [self.gen(a) for a in args if not isinstance(a, ir.SortKey)]
        return f"_fn[{fn}](_ctx{''.join(', ' + p for p in parts)})"

    def list_function(self, e: ir.FunctionCall) -> str:
        name = e.name.text
        args = e.args
        fn = self.consts.add(name, "s")
        first = self.gen(args[0])  # type: ignore[arg-type]
        entity = self.type_of(args[0])  # type: ignore[arg-type]
        entity_name = entity.entity if isinstance(entity, t.ListType) else "*"
        shape = LIST_FUNCTIONS[name].shape
        if shape is Shape.AGGREGATE:
            member = self.member_name(args[1], entity_name)
            return f"_lfn[{fn}](_ctx, {first}, {member})"
        if shape is Shape.SEARCH:
            member = self.member_name(args[1], entity_name)
            value = self.gen(args[2])  # type: ignore[arg-type]
            if self.is_reference(args[1], entity_name):
                value = f"_ref_id({value})"
            return f"_lfn[{fn}](_ctx, {first}, {member}, {value})"
        if shape is Shape.SORT:
            keys = []
            for key in args[1:]:
                node = key.key if isinstance(key, ir.SortKey) else key
                descending = isinstance(key, ir.SortKey) and key.descending
                keys.append(f"({self.member_name(node, entity_name)}, {descending})")
            return f"_lfn[{fn}](_ctx, {first}, [{', '.join(keys)}])"
        if shape in (Shape.CONDITION, Shape.REDUCE):
            return self.iteration(name, first, args)
        rest = [self.gen(a) for a in args[1:]]  # type: ignore[arg-type]
        return f"_lfn[{fn}](_ctx, {first}{''.join(', ' + r for r in rest)})"

    def member_name(self, node: ir.Expr | ir.SortKey, entity: str) -> str:
        assert isinstance(node, ir.NameRef)
        info = self.names.entities.get(entity)
        if info is not None and node.name.text in info.attributes:
            return self.consts.add(node.name.text, "s")
        found = self.names.find_association(node.name, self.module, entity)
        assert found is not None
        return self.consts.add(found[0].qname, "s")

    def is_reference(self, node: ir.Expr | ir.SortKey, entity: str) -> bool:
        info = self.names.entities.get(entity)
        return isinstance(node, ir.NameRef) and not (
            info is not None and node.name.text in info.attributes
        )

    def iteration(self, name: str, first: str, args: tuple[ir.Expr | ir.SortKey, ...]) -> str:
        """List functions with an expression over `$currentObject`, as comprehensions (which
        may `await` association steps inside the generated async function).

        Each call gets its own Python names for `$currentObject` and `$currentResult`, so a
        nested call shadows the outer one's only inside its own expression. A list operand that
        binds temporaries (`:=`) is evaluated before the comprehension: Python forbids `:=` in
        a comprehension's iterable."""
        body_expr = args[2] if name == "reduce" else args[1]
        assert not isinstance(body_expr, ir.SortKey)
        items = first
        hoisted = ""
        if ":=" in first:
            items = self.temp()
            hoisted = f"({items} := {first}), "
        obj = self.temp()
        frame = {"currentObject": obj}
        result = self.temp() if name == "reduce" else ""
        init = ""
        if name == "reduce":
            initial = args[1]
            assert not isinstance(initial, ir.SortKey)
            init = self.gen(initial)  # outside the frame: `$currentResult` there is the outer one
            frame["currentResult"] = result
        self.aliases.append(frame)
        try:
            body = (
                self.gen(body_expr)
                if name == "reduce"
                else self.boolean(body_expr, f"the condition of `{name}`")
            )
        finally:
            self.aliases.pop()
        loop = f"for {obj} in _live({items})"
        if name == "filterWhere":
            found = f"[{obj} {loop} if {body}]"
        elif name == "findWhere":
            found = f"_first([{obj} {loop} if {body}])"
        elif name in ("all", "any"):
            found = f"{name}([{body} {loop}])"
        else:
            return f"({hoisted}({result} := {init}), [({result} := {body}) {loop}], {result})[-1]"
        return f"({hoisted}{found})[-1]" if hoisted else found
