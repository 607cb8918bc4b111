"""The IR: immutable typed nodes of a whole app, each node with its source span.

The parser lowers lark's parse directly into these nodes; the checker reads them and never
changes them. Names are kept as written (`Ident`); resolving them is the name table's job.

Nodes are plain slotted classes (`NodeMeta` gives each one a keyword-only `__init__`, equality,
hashing and a `repr` from its annotations, like a frozen dataclass but cheap to define, so
importing the IR costs almost nothing: the constructors' compiled code is kept in the per-user
cache, `nanoflow/disk_cache.py`). `fields`, `values`, `replace` and `to_data`
stand in for `dataclasses.fields`, `dataclasses.replace` and `dataclasses.asdict`.
"""

from __future__ import annotations

import marshal
from decimal import Decimal
from types import CodeType
from typing import Any, Literal, TypeAlias, TypeVar, dataclass_transform

from nanoflow import disk_cache
from nanoflow.source import Span

_N = TypeVar("_N", bound="Node")
_MISSING: Any = object()


def _init_source(fields: tuple[str, ...], defaults: dict[str, Any]) -> str:
    params = ", ".join(f"{f}=_d_{f}" if f in defaults else f for f in fields)
    sets = "".join(f"\n    _set(self, {f!r}, {f})" for f in fields)
    return f"def __init__(self, *, {params}):{sets or chr(10) + '    pass'}"


class _InitCode:
    """The compiled code of each constructor's source, kept in the per-user cache: compiling
    them (one per node class) would cost more than the rest of importing the IR."""

    ENTRY = "ir-init-code.marshal"

    def __init__(self) -> None:
        self.key = disk_cache.source_key("ir-init-code 1")  # Python's version is in every key
        self.codes: dict[str, CodeType] = {}
        self.added = False
        data = disk_cache.load_bytes(self.ENTRY, self.key)
        try:
            loaded = marshal.loads(data) if data is not None else {}
        except (EOFError, ValueError, TypeError):  # damaged: compiled again and replaced
            loaded = {}
        if isinstance(loaded, dict):
            self.codes = {k: v for k, v in loaded.items() if isinstance(v, CodeType)}

    def of(self, source: str) -> CodeType:
        code = self.codes.get(source)
        if code is None:
            code = self.codes[source] = compile(source, "<nanoflow.ir>", "exec")
            self.added = True
        return code

    def save(self) -> None:
        if self.added:
            self.added = False
            disk_cache.store_bytes(self.ENTRY, self.key, marshal.dumps(self.codes))


_init_code = _InitCode()


@dataclass_transform(kw_only_default=True, frozen_default=True)
class NodeMeta(type):
    """Turns annotated class attributes into slots and a keyword-only constructor."""

    FIELDS: tuple[str, ...]
    DEFAULTS: dict[str, Any]

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> NodeMeta:
        own = [f for f in namespace.get("__annotations__", {}) if not f.startswith("__")]
        inherited: tuple[str, ...] = ()
        defaults: dict[str, Any] = {}
        for base in reversed(bases):
            if isinstance(base, NodeMeta):
                inherited += tuple(f for f in base.FIELDS if f not in inherited)
                defaults.update(base.DEFAULTS)
        for field in own:
            if field in namespace:
                defaults[field] = namespace.pop(field)
        namespace["__slots__"] = tuple(own)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        cls.FIELDS = inherited + tuple(f for f in own if f not in inherited)
        cls.DEFAULTS = defaults
        env: dict[str, Any] = {"_set": object.__setattr__}
        env.update({f"_d_{f}": value for f, value in defaults.items()})
        exec(_init_code.of(_init_source(cls.FIELDS, defaults)), env)
        init = env["__init__"]
        init.__qualname__ = f"{name}.__init__"
        cls.__init__ = init  # type: ignore[misc]
        return cls


class Node(metaclass=NodeMeta):
    """Base of every IR node: immutable, compared and hashed by type and field values."""

    span: Span

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set `{name}`")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete `{name}`")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in type(self).FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Node)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((self.__class__, self._values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in type(self).FIELDS)
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self._values()))


def _rebuild(cls: type[_N], values: tuple[Any, ...]) -> _N:
    """Unpickling and copying: a node of `cls` from its field values in order."""
    node = cls.__new__(cls)
    for field, value in zip(type(node).FIELDS, values, strict=True):
        object.__setattr__(node, field, value)
    return node


def fields(node: Node | type[Node]) -> tuple[str, ...]:
    """The field names of a node (or node class), `span` first."""
    cls = node if isinstance(node, type) else type(node)
    return cls.FIELDS


def values(node: Node) -> tuple[Any, ...]:
    """The field values of a node, in the order of `fields`."""
    return node._values()


def replace(node: _N, **changes: Any) -> _N:
    """A copy of `node` with some fields changed."""
    values = {f: getattr(node, f) for f in type(node).FIELDS}
    unknown = changes.keys() - values.keys()
    if unknown:
        raise TypeError(f"{type(node).__name__} has no field {', '.join(sorted(unknown))}")
    values.update(changes)
    return type(node)(**values)


def to_data(value: Any) -> Any:
    """Nodes as dictionaries of their fields and tuples as lists, recursively (for tests and
    debugging, like `dataclasses.asdict`)."""
    if isinstance(value, Node):
        return {f: to_data(getattr(value, f)) for f in type(value).FIELDS}
    if isinstance(value, tuple) and not isinstance(value, Span):
        return [to_data(item) for item in value]
    return value


class Ident(Node):
    """A name as written: `Order`, `Sales.Order`, `Sales.OrderStatus.Placed`."""

    text: str

    @property
    def parts(self) -> list[str]:
        return self.text.split(".")


# ---- expressions --------------------------------------------------------------------------


class StringLit(Node):
    value: str


class IntegerLit(Node):
    value: int


class DecimalLit(Node):
    value: Decimal


class BooleanLit(Node):
    value: bool


class EmptyLit(Node):
    pass


class Variable(Node):
    """`$name` (name without the `$`)."""

    name: str


class MemberPath(Node):
    """`$v/Attr`, `$v/Assoc/Entity/Attr`."""

    variable: Variable
    steps: tuple[Ident, ...]


class NameRef(Node):
    """A bare or qualified name in an expression: an enumeration value."""

    name: Ident


class TokenRef(Node):
    """`[%CurrentDateTime%]` (name without the brackets)."""

    name: str


class Negate(Node):
    operand: Expr


class Not(Node):
    operand: Expr


BinaryOp: TypeAlias = Literal["+", "-", "*", ":", "div", "mod"]
CompareOp: TypeAlias = Literal["=", "!=", "<", ">", "<=", ">="]


class Binary(Node):
    op: BinaryOp
    left: Expr
    right: Expr


class Compare(Node):
    op: CompareOp
    left: Expr
    right: Expr


class Logical(Node):
    op: Literal["and", "or"]
    left: Expr
    right: Expr


class IfExpr(Node):
    condition: Expr
    then: Expr
    otherwise: Expr


class SortKey(Node):
    """`Attr desc` as an argument of the list function `sort`."""

    key: Expr
    descending: bool


class FunctionCall(Node):
    name: Ident
    args: tuple[Expr | SortKey, ...]


Expr: TypeAlias = (
    StringLit
    | IntegerLit
    | DecimalLit
    | BooleanLit
    | EmptyLit
    | Variable
    | MemberPath
    | NameRef
    | TokenRef
    | Negate
    | Not
    | Binary
    | Compare
    | Logical
    | IfExpr
    | FunctionCall
)

Literal_: TypeAlias = StringLit | IntegerLit | DecimalLit | BooleanLit | EmptyLit

Chain = TypeVar("Chain", Binary, Logical)


def left_chain(expr: Chain, kind: type[Chain]) -> list[Chain]:
    """`expr` and the nodes of its kind down its left operands: `$a + $b - $c` gives the `-`
    node, then the `+` node. Chains are walked with this loop rather than by recursion, so
    they may be as long as users write them."""
    chain = [expr]
    while isinstance(chain[-1].left, kind):
        chain.append(chain[-1].left)
    return chain

# ---- XPath ----------------------------------------------------------------------------------


class XPathPath(Node):
    """An attribute or association path inside a constraint: `Order_Customer/Customer/Name`."""

    steps: tuple[Ident, ...]


XPathOperand: TypeAlias = (
    XPathPath
    | StringLit
    | IntegerLit
    | DecimalLit
    | BooleanLit
    | EmptyLit
    | Variable
    | MemberPath
    | TokenRef
)


class XPathCompare(Node):
    op: CompareOp
    left: XPathOperand
    right: XPathOperand


class XPathTest(Node):
    """An operand standing alone: a Boolean attribute or `true`/`false`."""

    operand: XPathOperand


class XPathFunction(Node):
    name: Literal["contains", "starts-with", "ends-with"]
    path: XPathPath
    value: XPathOperand


class XPathLogical(Node):
    op: Literal["and", "or"]
    left: XPathExpr
    right: XPathExpr


class XPathNot(Node):
    operand: XPathExpr


XPathExpr: TypeAlias = XPathCompare | XPathTest | XPathFunction | XPathLogical | XPathNot


class XPathConstraint(Node):
    """One `[ ... ]`; several in a row all apply."""

    expr: XPathExpr


# ---- types ----------------------------------------------------------------------------------


class NamedType(Node):
    """`String`, `String(200)`, `Decimal`, `Order`, `Sales.OrderStatus`."""

    name: Ident
    length: int | None = None


class ListTypeRef(Node):
    """`List of Entity`."""

    entity: Ident


TypeRef: TypeAlias = NamedType | ListTypeRef

# ---- statements -----------------------------------------------------------------------------


class Block(Node):
    statements: tuple[Stmt, ...]


class ErrorHandler(Node):
    """`on error { ... }` (custom without rollback) or `on error continue`."""

    kind: Literal["custom", "continue"]
    body: Block | None = None


class StmtBase(Node):
    handler: ErrorHandler | None = None


class Declare(StmtBase):
    variable: Variable
    type: TypeRef | None
    value: Expr | None


class Set(StmtBase):
    variable: Variable
    value: Expr


class MemberAssignment(Node):
    member: Ident
    value: Expr


class CreateObject(StmtBase):
    output: Variable
    entity: Ident
    assignments: tuple[MemberAssignment, ...]


class CreateList(StmtBase):
    output: Variable
    entity: Ident


class Cast(StmtBase):
    output: Variable
    source: Variable
    entity: Ident


class SortItem(Node):
    attribute: Ident
    descending: bool


class RetrieveDb(StmtBase):
    output: Variable
    first: bool
    entity: Ident
    constraints: tuple[XPathConstraint, ...]
    sort: tuple[SortItem, ...]
    limit: Expr | None
    offset: Expr | None


class RetrieveAssoc(StmtBase):
    output: Variable
    source: Variable
    association: Ident
    constraints: tuple[XPathConstraint, ...]


class Argument(Node):
    name: Ident
    value: Expr


CallKind: TypeAlias = Literal["nanoflow", "microflow", "action"]


class Call(StmtBase):
    output: Variable | None
    kind: CallKind
    target: Ident
    arguments: tuple[Argument, ...]


class Change(StmtBase):
    variable: Variable
    assignments: tuple[MemberAssignment, ...]


class Commit(StmtBase):
    variable: Variable


class Rollback(StmtBase):
    variable: Variable


class Delete(StmtBase):
    variable: Variable


class Add(StmtBase):
    value: Expr
    list: Variable


class Remove(StmtBase):
    value: Expr
    list: Variable


class Clear(StmtBase):
    list: Variable


class IfBranch(Node):
    condition: Expr
    body: Block


class If(StmtBase):
    branches: tuple[IfBranch, ...]
    otherwise: Block | None


class CaseValue(Node):
    kind: Literal["name", "empty", "true", "false"]
    name: str = ""


class SwitchCase(Node):
    values: tuple[CaseValue, ...]
    body: Block


class Switch(StmtBase):
    subject: Expr
    cases: tuple[SwitchCase, ...]
    otherwise: Block | None


class TypeCase(Node):
    entity: Ident
    body: Block


class SwitchType(StmtBase):
    variable: Variable
    cases: tuple[TypeCase, ...]
    empty_case: Block | None
    otherwise: Block | None


class For(StmtBase):
    variable: Variable
    iterable: Expr
    body: Block


class While(StmtBase):
    condition: Expr
    body: Block


class Return(StmtBase):
    value: Expr | None


class Raise(StmtBase):
    message: Expr | None


class Break(StmtBase):
    pass


class Continue(StmtBase):
    pass


class ShowMessage(StmtBase):
    kind: Literal["info", "warning", "error"]
    text: Expr
    blocking: bool


class ShowPage(StmtBase):
    page: Ident
    arguments: tuple[Argument, ...]


class ClosePage(StmtBase):
    count: int


class ValidationFeedback(StmtBase):
    variable: Variable
    member: Ident
    text: Expr


LogLevel: TypeAlias = Literal["trace", "debug", "info", "warning", "error", "critical"]


class Log(StmtBase):
    level: LogLevel
    node: str | None
    text: Expr


class SyncAll(StmtBase):
    pass


class SyncUnsynchronized(StmtBase):
    pass


class SyncSelected(StmtBase):
    items: tuple[Expr, ...]


class CancelSync(StmtBase):
    pass


class ClearFromDevice(StmtBase):
    entity: Ident


class SyncToDevice(StmtBase):
    value: Expr


Stmt: TypeAlias = (
    Declare
    | Set
    | CreateObject
    | CreateList
    | Cast
    | RetrieveDb
    | RetrieveAssoc
    | Call
    | Change
    | Commit
    | Rollback
    | Delete
    | Add
    | Remove
    | Clear
    | If
    | Switch
    | SwitchType
    | For
    | While
    | Return
    | Raise
    | Break
    | Continue
    | ShowMessage
    | ShowPage
    | ClosePage
    | ValidationFeedback
    | Log
    | SyncAll
    | SyncUnsynchronized
    | SyncSelected
    | CancelSync
    | ClearFromDevice
    | SyncToDevice
)

# ---- declarations ---------------------------------------------------------------------------


class EnumValueDecl(Node):
    """One value of an enumeration declaration, with its caption: `Placed 'Placed order'`."""

    name: Ident
    caption: str


class Enumeration(Node):
    name: Ident
    values: tuple[EnumValueDecl, ...]


class Attribute(Node):
    name: Ident
    type: NamedType
    default: Literal_ | NameRef | TokenRef | None
    required: bool
    unique: bool


class EventHandler(Node):
    moment: Literal["before", "after"]
    action: Literal["commit", "delete"]
    microflow: Ident


class Index(Node):
    attributes: tuple[Ident, ...]


class Entity(Node):
    name: Ident
    extends: Ident | None
    with_owner: bool
    attributes: tuple[Attribute, ...]
    handlers: tuple[EventHandler, ...]
    indexes: tuple[Index, ...]


class Association(Node):
    name: Ident
    source: Ident
    target: Ident
    many: bool


class Role(Node):
    name: Ident


class MemberSelection(Node):
    """`*` (all) or a list of attribute and association names."""

    all: bool
    members: tuple[Ident, ...] = ()


class AccessRule(Node):
    entity: Ident
    role: Ident
    create: bool
    delete: bool
    read: MemberSelection | None
    write: MemberSelection | None
    constraints: tuple[XPathConstraint, ...]


OfflineMode: TypeAlias = Literal["all", "by_xpath", "nothing_preserve", "nothing_clear", "never"]


class OfflineEntry(Node):
    entity: Ident
    mode: OfflineMode
    constraints: tuple[XPathConstraint, ...] = ()


class OfflineProfile(Node):
    entries: tuple[OfflineEntry, ...]


class Parameter(Node):
    variable: Variable
    type: TypeRef


class Flow(Node):
    kind: Literal["nanoflow", "microflow"]
    name: Ident
    parameters: tuple[Parameter, ...]
    returns: TypeRef | None
    allow: tuple[Ident, ...]
    entity_access: bool
    body: Block


class Page(Node):
    name: Ident
    parameters: tuple[Parameter, ...]


class Action(Node):
    name: Ident
    parameters: tuple[Parameter, ...]
    returns: TypeRef | None


Declaration: TypeAlias = (
    Enumeration | Entity | Association | Role | AccessRule | OfflineProfile | Flow | Page | Action
)


class ModuleFile(Node):
    """One parsed `.nf` file."""

    module: Ident
    declarations: tuple[Declaration, ...]


_init_code.save()  # the constructors compiled for the classes above, if any were new
