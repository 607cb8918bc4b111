"""Type checking of Mendix expressions: operators, member paths, enumeration values, tokens,
functions (signatures from `functions`) and the list functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from nanoflow import ir
from nanoflow import types as t
from nanoflow.codes import Code
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.functions import (
    DEPRECATED,
    FUNCTIONS,
    STRING_OVERLOADS,
    Signature,
    all_function_names,
    kind_accepts,
    kind_words,
    list_function_of,
)
from nanoflow.list_functions import LIST_FUNCTIONS, ListFunction, Shape
from nanoflow.names import NameTable, suggest
from nanoflow.source import Span

MAX_NESTING: Final = 40
"""How deeply an expression may nest (NF008): each operand in parentheses, function argument,
`not`, `-`, `if` part and member-path step is a level; a chain of operators such as
`$a + $b + $c` is one level however long it is. Generated Python nests a few parentheses per
level, and Python allows 200."""

INT32_MAX: Final = 2**31 - 1
LONG_MIN: Final = -(2**63)
LONG_MAX: Final = 2**63 - 1

_DATE_TOKENS = [
    f"{edge}{period}{utc}"
    for edge in ("BeginOf", "EndOf")
    for period in (
        "CurrentMinute",
        "CurrentHour",
        "CurrentDay",
        "Yesterday",
        "Tomorrow",
        "CurrentWeek",
        "CurrentMonth",
        "CurrentYear",
    )
    for utc in ("", "UTC")
]
TOKENS: Final[dict[str, t.Type]] = {
    "CurrentDateTime": t.DATETIME,
    "CurrentUser": t.ObjectType("System.User"),
    **{name: t.DATETIME for name in _DATE_TOKENS},
    **{
        f"{unit}Length": t.LONG
        for unit in ("Second", "Minute", "Hour", "Day", "Week", "Month", "Year")
    },
}

Lookup = Callable[[ir.Variable], t.Type]


def join(a: t.Type, b: t.Type, names: NameTable) -> t.Type | None:
    """The common type of two values (if-expression branches, `reduce`), or None."""
    if a == b:
        return a
    if a in (t.EMPTY, t.ERROR):
        return b
    if b in (t.EMPTY, t.ERROR):
        return a
    if t.is_numeric(a) and t.is_numeric(b):
        return t.numeric_join(a, b)
    if t.is_string(a) and t.is_string(b):
        return t.STRING
    if isinstance(a, t.ObjectType) and isinstance(b, t.ObjectType):
        if names.is_a(a.entity, b.entity):
            return b
        if names.is_a(b.entity, a.entity):
            return a
    if isinstance(a, t.ListType) and isinstance(b, t.ListType):
        if names.is_a(a.entity, b.entity):
            return b
        if names.is_a(b.entity, a.entity):
            return a
    return None


def assignable(value: t.Type, target: t.Type, names: NameTable) -> bool:
    """Whether a value of type `value` may be stored where `target` is expected."""
    if value == target or t.is_lenient(value) or target == t.ERROR:
        return True
    if isinstance(value, t.Prim) and isinstance(target, t.Prim):
        if value.name in t.INTEGRAL and target.name in t.NUMERIC:
            return True
        return value.name in t.STRINGY and target.name in t.STRINGY
    if isinstance(value, t.ObjectType) and isinstance(target, t.ObjectType):
        return names.is_a(value.entity, target.entity)
    if isinstance(value, t.ListType) and isinstance(target, t.ListType):
        return names.is_a(value.entity, target.entity)
    return False


def comparable(left: t.Type, right: t.Type, op: str, names: NameTable) -> bool:
    """Whether `left op right` is a valid comparison."""
    if left == t.ERROR or right == t.ERROR:
        return True
    equality = op in ("=", "!=")
    if left == t.EMPTY or right == t.EMPTY:
        return equality
    if t.is_numeric(left) and t.is_numeric(right):
        return True
    if t.is_string(left) and t.is_string(right):
        return True
    if left == t.DATETIME and right == t.DATETIME:
        return True
    if not equality:
        return False
    if left == right:
        return True
    enum_string = (isinstance(left, t.EnumType) and t.is_string(right)) or (
        isinstance(right, t.EnumType) and t.is_string(left)
    )
    if enum_string:
        return True
    if isinstance(left, t.ObjectType) and isinstance(right, t.ObjectType):
        return names.is_a(left.entity, right.entity) or names.is_a(right.entity, left.entity)
    return False


class ExpressionChecker:
    """Types expressions of one flow (or declaration) and reports what is wrong."""

    def __init__(
        self,
        names: NameTable,
        sink: DiagnosticSink,
        module: str,
        lookup: Lookup,
        types: dict[int, t.Type],
    ) -> None:
        self.names = names
        self.sink = sink
        self.module = module
        self.lookup = lookup
        self.types = types
        self._extra: list[dict[str, t.Type]] = []
        self._level = 0  # how many `check` calls enclose the current one
        self._too_deep = False  # NF008 reported for the current top-level expression

    def error(self, code: Code, message: str, span: Span, label: str = "", help: str = "") -> None:
        self.sink.error(code, message, span, label=label, help=help)

    # ---- entry point ----------------------------------------------------------------------

    def check(self, expr: ir.Expr, expected: t.Type | None = None) -> t.Type:
        """The type of `expr`; `expected` helps bare enumeration value names resolve."""
        if self._level == 0:
            self._too_deep = False
        self._level += 1
        try:
            if self._level > MAX_NESTING + 1:  # the outermost expression is level 0
                result = self._nested_too_deeply(expr, self._level - 1)
            else:
                result = self._check(expr, expected)
        finally:
            self._level -= 1
        self.types[id(expr)] = result
        return result

    def _nested_too_deeply(self, expr: ir.Expr, level: int) -> t.Type:
        if not self._too_deep:
            self._too_deep = True
            self.error(
                Code.NESTED_TOO_DEEPLY,
                f"expression nested too deeply: at most {MAX_NESTING} levels",
                expr.span,
                label=f"level {level}",
                help="give inner parts a name with `declare` first; a chain such as "
                "`$a + $b + $c` does not nest",
            )
        return t.ERROR

    def expect(self, expr: ir.Expr, target: t.Type, what: str) -> t.Type:
        """Check `expr` and report NF304 unless its type fits `target`."""
        actual = self.check(expr, target)
        if not assignable(actual, target, self.names):
            self.error(
                Code.VALUE_TYPE,
                f"{what} must be {t.describe(target)}, not {t.describe(actual)}",
                expr.span,
                label=f"this is {t.describe(actual)}",
            )
        return actual

    def condition(self, expr: ir.Expr, what: str) -> None:
        actual = self.check(expr, t.BOOLEAN)
        if actual not in (t.BOOLEAN, t.ERROR):
            self.error(
                Code.CONDITION_NOT_BOOLEAN,
                f"{what} must be a Boolean, not {t.describe(actual)}",
                expr.span,
                label=f"this is {t.describe(actual)}",
            )

    def _check(self, expr: ir.Expr, expected: t.Type | None) -> t.Type:
        if isinstance(expr, ir.StringLit):
            return t.STRING
        if isinstance(expr, ir.IntegerLit):
            return self.integer(expr)
        if isinstance(expr, ir.DecimalLit):
            return t.DECIMAL
        if isinstance(expr, ir.BooleanLit):
            return t.BOOLEAN
        if isinstance(expr, ir.EmptyLit):
            return t.EMPTY
        if isinstance(expr, ir.Variable):
            return self._variable(expr)
        if isinstance(expr, ir.MemberPath):
            return self.member_path(expr)
        if isinstance(expr, ir.NameRef):
            return self.name_ref(expr, expected)
        if isinstance(expr, ir.TokenRef):
            return self.token(expr)
        if isinstance(expr, ir.Negate):
            operand = self.check(expr.operand)
            if not (t.is_numeric(operand) or operand == t.ERROR):
                self.error(
                    Code.OPERAND_TYPE,
                    f"cannot negate {t.describe(operand)}",
                    expr.span,
                    label="`-` needs a number",
                )
                return t.ERROR
            return operand
        if isinstance(expr, ir.Not):
            operand = self.check(expr.operand, t.BOOLEAN)
            if operand not in (t.BOOLEAN, t.ERROR):
                self.error(
                    Code.OPERAND_TYPE,
                    f"`not` needs a Boolean, not {t.describe(operand)}",
                    expr.span,
                    label=f"the operand is {t.describe(operand)}",
                )
            return t.BOOLEAN
        if isinstance(expr, ir.Binary):
            return self.binary_chain(expr)
        if isinstance(expr, ir.Compare):
            return self.compare(expr)
        if isinstance(expr, ir.Logical):
            return self.logical_chain(expr)
        if isinstance(expr, ir.IfExpr):
            self.condition(expr.condition, "the condition of `if`")
            a = self.check(expr.then, expected)
            b = self.check(expr.otherwise, expected)
            common = join(a, b, self.names)
            if common is None:
                self.error(
                    Code.OPERAND_TYPE,
                    f"the branches of `if` have different types: {t.describe(a)} and "
                    f"{t.describe(b)}",
                    expr.span,
                    label="both branches must give the same type",
                )
                return t.ERROR
            return common
        if isinstance(expr, ir.FunctionCall):
            return self.function_call(expr)
        raise AssertionError(f"unknown expression node {type(expr).__name__}")

    def integer(self, expr: ir.IntegerLit) -> t.Type:
        value = expr.value
        if not LONG_MIN <= value <= LONG_MAX:
            self.error(
                Code.INTEGER_OUT_OF_RANGE,
                f"integer literal {value} does not fit in a Long",
                expr.span,
                label="outside -9223372036854775808 .. 9223372036854775807",
                help="write it as a Decimal (with a decimal point) if you need a larger number",
            )
            return t.ERROR
        return t.INTEGER if -INT32_MAX - 1 <= value <= INT32_MAX else t.LONG

    # ---- names ------------------------------------------------------------------------------

    def _variable(self, var: ir.Variable) -> t.Type:
        for frame in reversed(self._extra):
            if var.name in frame:
                return frame[var.name]
        return self.lookup(var)

    def member_path(self, expr: ir.MemberPath) -> t.Type:
        if self._level + len(expr.steps) > MAX_NESTING + 1:
            return self._nested_too_deeply(expr, self._level + len(expr.steps) - 1)
        current = self.check(expr.variable)
        steps = expr.steps
        index = 0
        while index < len(steps):
            step = steps[index]
            if current == t.ERROR:
                return t.ERROR
            if isinstance(current, t.ObjectType) and current.entity == "*":
                self.error(
                    Code.NOT_AN_OBJECT,
                    f"`${expr.variable.name}` can be an object of any entity: its members are "
                    "not known",
                    expr.variable.span if index == 0 else steps[index - 1].span,
                    label="cast it first",
                    help=f"write `$x = cast ${expr.variable.name} to Module.Entity` and read "
                    f"`$x/{step.text}`",
                )
                return t.ERROR
            if not isinstance(current, t.ObjectType):
                where = "$" + expr.variable.name + "".join("/" + s.text for s in steps[:index])
                self.error(
                    Code.NOT_AN_OBJECT,
                    f"`{where}` is {t.describe(current)}, not an object: it has no member "
                    f"`{step.text}`",
                    expr.variable.span if index == 0 else steps[index - 1].span,
                    label="cannot read a member here",
                    help="a reference set gives a list; use a list function such as `head`"
                    if isinstance(current, t.ListType)
                    else "",
                )
                return t.ERROR
            resolved = self.member(current.entity, step)
            if resolved is None:
                return t.ERROR
            kind, member_type = resolved
            index += 1
            if (
                kind == "association"
                and index < len(steps)
                and isinstance(member_type, t.ObjectType | t.ListType)
            ):
                target = member_type.entity
                entity = self.names.entities.get(self.names.qualify(steps[index].text, self.module))
                if entity is not None and self.names.is_a(target, entity.qname):
                    index += 1
                    if isinstance(member_type, t.ObjectType):
                        member_type = t.ObjectType(entity.qname)
            current = member_type
        return current

    def member(self, entity: str, step: ir.Ident) -> tuple[str, t.Type] | None:
        """A member read in an expression: ("attribute" or "association", its type)."""
        info = self.names.entities.get(entity)
        if info is None:
            return None
        attr = info.attributes.get(step.text)
        if attr is not None:
            return "attribute", attr.type
        found = self.names.find_association(step, self.module, entity)
        if found is not None:
            assoc, side = found
            if side == "target":
                self.error(
                    Code.UNKNOWN_MEMBER,
                    f"`{assoc.qname}` is owned by `{assoc.source}`: expressions follow "
                    f"associations from their owner only",
                    step.span,
                    label="reverse direction",
                    help=f"retrieve the objects with `retrieve $var/{assoc.qname}`",
                )
                return None
            return "association", assoc.type_from("source")
        self.error(
            Code.UNKNOWN_MEMBER,
            f"unknown member `{step.text}` of entity `{entity}`",
            step.span,
            label="no attribute or association of that name",
            help=suggest(step.text, self.names.member_names(entity)),
        )
        return None

    def enum_value(self, ident: ir.Ident, expected: t.Type | None) -> t.Type | None:
        """Resolve `Value`, `Enum.Value` or `Module.Enum.Value`; None when it is none of those."""
        parts = ident.text.split(".")
        if len(parts) == 1:
            if isinstance(expected, t.EnumType):
                info = self.names.enums.get(expected.enum)
                if info is not None and parts[0] in info.values:
                    return expected
            return None
        enum_name = ".".join(parts[:-1])
        info = self.names.enums.get(self.names.qualify(enum_name, self.module))
        if info is None and len(parts) == 2:
            info = self.names.enums.get(enum_name)
        if info is None:
            return None
        if parts[-1] not in info.values:
            self.error(
                Code.UNKNOWN_ENUMERATION_VALUE,
                f"unknown value `{parts[-1]}` of enumeration `{info.qname}`",
                ident.span,
                label="no value of that name",
                help=suggest(parts[-1], info.values),
            )
            return t.ERROR
        return t.EnumType(info.qname)

    def name_ref(self, expr: ir.NameRef, expected: t.Type | None) -> t.Type:
        found = self.enum_value(expr.name, expected)
        if found is not None:
            return found
        text = expr.name.text
        help_text = ""
        if isinstance(expected, t.EnumType):
            info = self.names.enums.get(expected.enum)
            if info is not None:
                help_text = suggest(text, info.values) or (
                    f"values of `{info.qname}`: " + ", ".join(info.values)
                )
        if expected == t.ERROR and "." not in text and self._is_enum_value(text):
            return t.ERROR  # compared with something already reported (a misspelled member)
        if not help_text and text.lower() in ("true", "false"):
            help_text = f"Boolean values are written in lower case: `{text.lower()}`"
        elif not help_text and text.lower() in ("null", "none", "nil"):
            help_text = "no value is written `empty`"
        elif not help_text and "." not in text:
            help_text = f"variables are written with `$`: `${text}`"
        self.error(
            Code.UNKNOWN_ENUMERATION_VALUE,
            f"unknown name `{text}`",
            expr.span,
            label="not an enumeration value",
            help=help_text,
        )
        return t.ERROR

    def _is_enum_value(self, text: str) -> bool:
        return any(text in info.values for info in self.names.enums.values())

    def token(self, expr: ir.TokenRef) -> t.Type:
        found = TOKENS.get(expr.name)
        if found is None:
            if expr.name.startswith("UserRole_"):
                return t.ObjectType("*")
            self.error(
                Code.UNKNOWN_TOKEN,
                f"unknown token `[%{expr.name}%]`",
                expr.span,
                label="no token of that name",
                help=suggest(expr.name, TOKENS),
            )
            return t.ERROR
        return found

    # ---- operators --------------------------------------------------------------------------

    def binary_chain(self, expr: ir.Binary) -> t.Type:
        """`$a + $b - $c ...`: the left operands of a chain are checked in a loop, not by
        recursion, so a chain may be as long as it likes."""
        chain = ir.left_chain(expr, ir.Binary)
        left = self.check(chain[-1].left)
        for node in reversed(chain):
            left = self.binary(node, left, self.check(node.right))
            if node is not expr:
                self.types[id(node)] = left
        return left

    def logical_chain(self, expr: ir.Logical) -> t.Type:
        chain = ir.left_chain(expr, ir.Logical)
        self._boolean_operand(chain[-1], chain[-1].left)
        for node in reversed(chain):
            self._boolean_operand(node, node.right)
            if node is not expr:
                self.types[id(node)] = t.BOOLEAN
        return t.BOOLEAN

    def _boolean_operand(self, expr: ir.Logical, side: ir.Expr) -> None:
        operand = self.check(side, t.BOOLEAN)
        if operand not in (t.BOOLEAN, t.ERROR):
            self.error(
                Code.OPERAND_TYPE,
                f"`{expr.op}` needs Boolean operands, not {t.describe(operand)}",
                side.span,
                label=f"this is {t.describe(operand)}",
            )

    def binary(self, expr: ir.Binary, left: t.Type, right: t.Type) -> t.Type:
        if left == t.ERROR or right == t.ERROR:
            return t.ERROR
        op = expr.op
        if op == "+" and (t.is_string(left) or t.is_string(right)):
            other = right if t.is_string(left) else left
            if t.is_primitive(other) or other == t.EMPTY:
                return t.STRING
        elif t.is_numeric(left) and t.is_numeric(right):
            if op in (":", "div"):
                return t.DECIMAL
            return t.numeric_join(left, right)
        shown = {"-": "subtract", "*": "multiply", ":": "divide", "div": "divide", "mod": "mod"}
        verb = shown.get(op, "add")
        help_text = ""
        if left == t.DATETIME or right == t.DATETIME:
            help_text = "use the date functions: `addDays`, `daysBetween`, ..."
        elif op == "+" and (t.is_numeric(left) or t.is_numeric(right)):
            help_text = "to join text, convert with `toString(...)`"
        self.error(
            Code.OPERAND_TYPE,
            f"cannot {verb} {t.describe(left)} and {t.describe(right)} with `{op}`",
            expr.span,
            label=f"{t.describe(left)} {op} {t.describe(right)}",
            help=help_text,
        )
        return t.ERROR

    def compare(self, expr: ir.Compare) -> t.Type:
        bare_left = isinstance(expr.left, ir.NameRef) and "." not in expr.left.name.text
        if bare_left and not isinstance(expr.right, ir.NameRef):
            right = self.check(expr.right)
            left = self.check(expr.left, _context(right))
        else:
            left = self.check(expr.left)
            right = self.check(expr.right, _context(left))
        if not comparable(left, right, expr.op, self.names):
            self.error(
                Code.OPERAND_TYPE,
                f"cannot compare {t.describe(left)} with {t.describe(right)} using `{expr.op}`",
                expr.span,
                label=f"{t.describe(left)} {expr.op} {t.describe(right)}",
                help="`<`, `>`, `<=` and `>=` compare numbers, strings and dates"
                if expr.op not in ("=", "!=")
                else "",
            )
        return t.BOOLEAN

    # ---- functions --------------------------------------------------------------------------

    def function_call(self, call: ir.FunctionCall) -> t.Type:
        name = call.name.text
        args = call.args
        if name in LIST_FUNCTIONS and args:
            first_arg = args[0]
            first = self.check(first_arg) if not isinstance(first_arg, ir.SortKey) else t.ERROR
            listed = list_function_of(name, first)
            if listed is not None:
                return self.list_function(call, listed, first)
            return self.signature_call(call, STRING_OVERLOADS[name], first)
        signature = FUNCTIONS.get(name) or STRING_OVERLOADS.get(name)
        if signature is None:
            if name in LIST_FUNCTIONS:
                return self.list_function(call, LIST_FUNCTIONS[name], t.ERROR)
            self.error(
                Code.UNKNOWN_FUNCTION,
                f"unknown function `{name}`",
                call.name.span,
                label="no function of that name",
                help=suggest(name, all_function_names()),
            )
            for arg in args:
                if not isinstance(arg, ir.SortKey):
                    self.check(arg)
            return t.ERROR
        if name in DEPRECATED:
            self.sink.warning(
                Code.DEPRECATED_FUNCTION,
                f"`{name}` is a deprecated Mendix 7 function; here it works on Decimals",
                call.name.span,
                label="deprecated",
                help=f"use {DEPRECATED[name]}",
            )
        return self.signature_call(call, signature, None)

    def _arity(self, call: ir.FunctionCall, low: int, high: int | None) -> bool:
        count = len(call.args)
        if count < low or (high is not None and count > high):
            if high is None:
                wanted = f"at least {low}"
            elif low == high:
                wanted = str(low)
            else:
                wanted = f"{low} to {high}"
            self.error(
                Code.ARGUMENT_COUNT,
                f"`{call.name.text}` takes {wanted} argument{'s' if wanted != '1' else ''}, "
                f"not {count}",
                call.span,
                label=f"{count} argument{'s' if count != 1 else ''} given",
            )
            return False
        return True

    def _plain_args(self, call: ir.FunctionCall) -> list[ir.Expr]:
        plain: list[ir.Expr] = []
        for arg in call.args:
            if isinstance(arg, ir.SortKey):
                self.error(
                    Code.ARGUMENT_TYPE,
                    "`asc`/`desc` belong to the arguments of `sort` only",
                    arg.span,
                    label="not a sort key here",
                )
                plain.append(arg.key)
            else:
                plain.append(arg)
        return plain

    def signature_call(self, call: ir.FunctionCall, sig: Signature, first: t.Type | None) -> t.Type:
        args = self._plain_args(call)
        high = None if sig.variadic else len(sig.params)
        arity_ok = self._arity(call, sig.min_args, high)
        types: list[t.Type] = []
        for index, arg in enumerate(args):
            arg_type = first if index == 0 and first is not None else self.check(arg)
            types.append(arg_type)
            if not arity_ok:
                continue
            kind = sig.params[min(index, len(sig.params) - 1)]
            if not kind_accepts(kind, arg_type):
                self.error(
                    Code.ARGUMENT_TYPE,
                    f"argument {index + 1} of `{call.name.text}` must be {kind_words(kind)}, "
                    f"not {t.describe(arg_type)}",
                    arg.span,
                    label=f"this is {t.describe(arg_type)}",
                )
        if not arity_ok:
            return t.ERROR
        if (
            call.name.text in ("max", "min")
            and t.DATETIME in types
            and any(t.is_numeric(a) for a in types)
        ):
            self.error(
                Code.ARGUMENT_TYPE,
                f"the arguments of `{call.name.text}` must be all numbers or all DateTimes",
                call.span,
                label="numbers and DateTimes mixed",
            )
            return t.ERROR
        result = sig.result
        return result(types) if callable(result) else result

    def _list_arg(self, call: ir.FunctionCall, first: t.Type) -> str | None:
        if isinstance(first, t.ListType):
            return first.entity
        if first not in (t.ERROR,):
            self.error(
                Code.ARGUMENT_TYPE,
                f"argument 1 of `{call.name.text}` must be a list, not {t.describe(first)}",
                call.args[0].span,
                label=f"this is {t.describe(first)}",
            )
        return None

    def _attribute_arg(
        self, call: ir.FunctionCall, arg: ir.Expr | ir.SortKey, entity: str | None, allow_ref: bool
    ) -> t.Type:
        """An attribute name argument (`Total` in `sum($orders, Total)`)."""
        node = arg.key if isinstance(arg, ir.SortKey) else arg
        if not isinstance(node, ir.NameRef):
            self.error(
                Code.ARGUMENT_TYPE,
                f"`{call.name.text}` takes an attribute name here",
                node.span,
                label="expected an attribute name such as `Total`",
            )
            if not isinstance(node, ir.SortKey):
                self.check(node)
            return t.ERROR
        if entity is None or entity == "*":
            return t.ERROR
        info = self.names.entities.get(entity)
        if info is None:
            return t.ERROR
        attr = info.attributes.get(node.name.text)
        if attr is not None:
            self.types[id(node)] = attr.type
            return attr.type
        if allow_ref:
            found = self.names.find_association(node.name, self.module, entity)
            if found is not None and found[1] == "source" and not found[0].many:
                return found[0].type_from("source")
        self.error(
            Code.UNKNOWN_MEMBER,
            f"unknown attribute `{node.name.text}` of entity `{entity}`",
            node.span,
            label="no attribute of that name",
            help=suggest(node.name.text, list(info.attributes)),
        )
        return t.ERROR

    def _with_current(
        self, expr: ir.Expr, frame: dict[str, t.Type], expected: t.Type | None = None
    ) -> t.Type:
        self._extra.append(frame)
        try:
            return self.check(expr, expected)
        finally:
            self._extra.pop()

    def list_function(self, call: ir.FunctionCall, fn: ListFunction, first: t.Type) -> t.Type:
        """A list function (LANGUAGE.md 8.2): its arguments are checked by its shape."""
        entity = self._list_arg(call, first)
        return LIST_CHECKS[fn.shape](self, call, fn, entity)

    def _list_result(self, fn: ListFunction, entity: str | None, attr: t.Type) -> t.Type:
        result = fn.result
        if result == "object":
            return t.ObjectType(entity) if entity else t.ERROR
        if result == "list":
            return t.ListType(entity) if entity else t.ERROR
        if result == "sum":
            return t.LONG if t.is_integral(attr) else attr
        if result == "attribute":
            return attr
        return {"Integer": t.INTEGER, "Boolean": t.BOOLEAN, "Decimal": t.DECIMAL}[result]

    def _list_whole(self, call: ir.FunctionCall, fn: ListFunction, entity: str | None) -> t.Type:
        self._arity(call, 1, 1)
        return self._list_result(fn, entity, t.ERROR)

    def _list_aggregate(
        self, call: ir.FunctionCall, fn: ListFunction, entity: str | None
    ) -> t.Type:
        name = call.name.text
        args = call.args
        if not self._arity(call, 2, 2):
            return t.ERROR
        attr = self._attribute_arg(call, args[1], entity, allow_ref=False)
        dated = fn.result == "attribute" and attr == t.DATETIME
        if attr != t.ERROR and not t.is_numeric(attr) and not dated:
            self.error(
                Code.ARGUMENT_TYPE,
                f"`{name}` needs a numeric attribute, not {t.describe(attr)}",
                args[1].span,
                label=f"this attribute is {t.describe(attr)}",
            )
            return t.ERROR
        return self._list_result(fn, entity, attr)

    def _list_search(self, call: ir.FunctionCall, fn: ListFunction, entity: str | None) -> t.Type:
        name = call.name.text
        args = call.args
        if not self._arity(call, 3, 3):
            return t.ERROR
        attr = self._attribute_arg(call, args[1], entity, allow_ref=True)
        value_arg = args[2]
        if isinstance(value_arg, ir.SortKey):
            self._plain_args(call)
        else:
            value = self.check(value_arg, attr)
            if attr != t.ERROR and not comparable(attr, value, "=", self.names):
                self.error(
                    Code.ARGUMENT_TYPE,
                    f"argument 3 of `{name}` must be {t.describe(attr)}, not {t.describe(value)}",
                    value_arg.span,
                    label=f"this is {t.describe(value)}",
                )
        return self._list_result(fn, entity, attr)

    def _list_condition(
        self, call: ir.FunctionCall, fn: ListFunction, entity: str | None
    ) -> t.Type:
        name = call.name.text
        args = call.args
        obj = t.ObjectType(entity) if entity else t.ERROR
        if not self._arity(call, 2, 2):
            return t.ERROR
        expr = args[1]
        if isinstance(expr, ir.SortKey):
            self._plain_args(call)
            return t.ERROR
        result = self._with_current(expr, {"currentObject": obj}, t.BOOLEAN)
        if result not in (t.BOOLEAN, t.ERROR):
            self.error(
                Code.ARGUMENT_TYPE,
                f"the condition of `{name}` must be a Boolean, not {t.describe(result)}",
                expr.span,
                label="use `$currentObject` to test each object",
            )
        return self._list_result(fn, entity, t.ERROR)

    def _list_sort(self, call: ir.FunctionCall, fn: ListFunction, entity: str | None) -> t.Type:
        if not self._arity(call, 2, None):
            return t.ERROR
        for key in call.args[1:]:
            self._attribute_arg(call, key, entity, allow_ref=False)
        return self._list_result(fn, entity, t.ERROR)

    def _list_set(self, call: ir.FunctionCall, fn: ListFunction, entity: str | None) -> t.Type:
        name = call.name.text
        if not self._arity(call, 2, 2):
            return t.ERROR
        other_arg = call.args[1]
        if isinstance(other_arg, ir.SortKey):
            self._plain_args(call)
            return t.ERROR
        other = self.check(other_arg)
        fits = other in (t.ERROR, t.EMPTY) or (
            isinstance(other, t.ObjectType | t.ListType)
            and (entity is None or join(other.__class__(entity), other, self.names) is not None)
        )
        if not fits:
            self.error(
                Code.ARGUMENT_TYPE,
                f"argument 2 of `{name}` must be an object or list of "
                f"{entity or 'the same entity'}, not {t.describe(other)}",
                other_arg.span,
                label=f"this is {t.describe(other)}",
            )
        return self._list_result(fn, entity, t.ERROR)

    def _list_range(self, call: ir.FunctionCall, fn: ListFunction, entity: str | None) -> t.Type:
        if not self._arity(call, 3, 3):
            return t.ERROR
        for index, arg in enumerate(self._plain_args(call)[1:], start=2):
            arg_type = self.check(arg)
            if not kind_accepts("I", arg_type):
                self.error(
                    Code.ARGUMENT_TYPE,
                    f"argument {index} of `range` must be an Integer or Long, not "
                    f"{t.describe(arg_type)}",
                    arg.span,
                    label=f"this is {t.describe(arg_type)}",
                )
        return self._list_result(fn, entity, t.ERROR)

    def _list_reduce(self, call: ir.FunctionCall, fn: ListFunction, entity: str | None) -> t.Type:
        obj = t.ObjectType(entity) if entity else t.ERROR
        if not self._arity(call, 3, 3):
            return t.ERROR
        plain = self._plain_args(call)
        initial = self.check(plain[1])
        result = self._with_current(plain[2], {"currentObject": obj, "currentResult": initial})
        common = join(initial, result, self.names)
        if common is None:
            self.error(
                Code.ARGUMENT_TYPE,
                f"the expression of `reduce` gives {t.describe(result)}, but the initial "
                f"value is {t.describe(initial)}",
                plain[2].span,
                label="must fit the initial value",
            )
            return t.ERROR
        return common


LIST_CHECKS: dict[
    Shape, Callable[[ExpressionChecker, ir.FunctionCall, ListFunction, str | None], t.Type]
] = {shape: getattr(ExpressionChecker, f"_list_{shape.value}") for shape in Shape}
"""How the arguments of each shape of list function are checked (`_list_<shape>`)."""


def _context(other: t.Type) -> t.Type | None:
    """What a comparison's other operand expects of a bare name: its enumeration, or the
    error type when the other side is already reported (so a value there is not re-reported)."""
    return other if isinstance(other, t.EnumType) or other == t.ERROR else None
