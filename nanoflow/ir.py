"""The IR: immutable typed models of a whole app, each node with its source span.

The parser lowers lark's parse directly into these models; the checker reads them and never
changes them. Names are kept as written (`Ident`); resolving them is the name table's job.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict

from nanoflow.source import Span


class Node(BaseModel):
    """Base of every IR node."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    span: Span


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


class EnumValue(Node):
    name: Ident
    caption: str


class Enumeration(Node):
    name: Ident
    values: tuple[EnumValue, ...]


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


for _model in list(globals().values()):
    if isinstance(_model, type) and issubclass(_model, Node) and _model is not Node:
        _model.model_rebuild()
