"""Type checking of XPath constraints against the entity they filter."""

from __future__ import annotations

from nanoflow import ir
from nanoflow import types as t
from nanoflow.check_expressions import ExpressionChecker, comparable
from nanoflow.codes import Code
from nanoflow.names import OWNER_ASSOCIATION, suggest


class XPathChecker:
    """Checks `[ ... ]` constraints; `allow_variables` is False in access rules and the
    offline profile (they run on the server, where no flow variables exist)."""

    def __init__(self, exprs: ExpressionChecker, allow_variables: bool) -> None:
        self.exprs = exprs
        self.names = exprs.names
        self.allow_variables = allow_variables

    def check(self, constraints: tuple[ir.XPathConstraint, ...], entity: str) -> None:
        if entity == "*" or entity not in self.names.entities:
            return
        for constraint in constraints:
            self._expr(constraint.expr, entity)

    def _expr(self, expr: ir.XPathExpr, entity: str) -> None:
        if isinstance(expr, ir.XPathLogical):
            self._expr(expr.left, entity)
            self._expr(expr.right, entity)
        elif isinstance(expr, ir.XPathNot):
            self._expr(expr.operand, entity)
        elif isinstance(expr, ir.XPathTest):
            operand = self._operand(expr.operand, entity, None)
            if operand not in (t.BOOLEAN, t.ERROR):
                self.exprs.error(
                    Code.XPATH_TYPE,
                    f"a constraint on its own must be a Boolean attribute, not "
                    f"{t.describe(operand)}",
                    expr.span,
                    label="compare it with a value, e.g. `= 'x'`",
                )
        elif isinstance(expr, ir.XPathFunction):
            path = self._operand(expr.path, entity, None)
            value = self._operand(expr.value, entity, None)
            for node, found in ((expr.path, path), (expr.value, value)):
                if found not in (t.ERROR, t.EMPTY) and not t.is_string(found):
                    self.exprs.error(
                        Code.XPATH_TYPE,
                        f"`{expr.name}` works on strings, not {t.describe(found)}",
                        node.span,
                        label=f"this is {t.describe(found)}",
                    )
        else:
            left = self._operand(expr.left, entity, None)
            right = self._operand(expr.right, entity, left)
            if left == t.EMPTY and right == t.EMPTY:
                return
            if not comparable(left, right, expr.op, self.names):
                self.exprs.error(
                    Code.XPATH_TYPE,
                    f"cannot compare {t.describe(left)} with {t.describe(right)} in XPath",
                    expr.span,
                    label=f"{t.describe(left)} {expr.op} {t.describe(right)}",
                )

    def _operand(self, node: ir.XPathOperand, entity: str, other: t.Type | None) -> t.Type:
        if isinstance(node, ir.XPathPath):
            return self._path(node, entity)
        if isinstance(node, ir.Variable | ir.MemberPath) and not self.allow_variables:
            self.exprs.error(
                Code.ACCESS_RULE_VARIABLE,
                "this XPath runs on the server for every user: it cannot use flow variables",
                node.span,
                label="no variables here",
                help="use a token such as '[%CurrentUser%]'",
            )
            return t.ERROR
        return self.exprs.check(node, other)

    def _path(self, path: ir.XPathPath, entity: str) -> t.Type:
        current = entity
        steps = path.steps
        index = 0
        while index < len(steps):
            step = steps[index]
            info = self.names.entities.get(current)
            if info is None:
                return t.ERROR
            if step.text == "id" and index == len(steps) - 1:
                return t.ObjectType(current)
            attr = info.attributes.get(step.text)
            if attr is not None:
                if index != len(steps) - 1:
                    self.exprs.error(
                        Code.XPATH_TYPE,
                        f"`{step.text}` is an attribute: a path cannot go on after it",
                        steps[index + 1].span,
                        label="nothing to follow",
                    )
                    return t.ERROR
                return attr.type
            found = self.names.find_association(step, self.exprs.module, current)
            if found is None and step.text in ("owner", OWNER_ASSOCIATION):
                found = None
            if found is None:
                self.exprs.error(
                    Code.UNKNOWN_MEMBER,
                    f"unknown member `{step.text}` of entity `{current}`",
                    step.span,
                    label="no attribute or association of that name",
                    help=suggest(step.text, self.names.member_names(current)),
                )
                return t.ERROR
            assoc, side = found
            target = assoc.target if side == "source" else assoc.source
            index += 1
            if index < len(steps):
                entity_info = self.names.entities.get(
                    self.names.qualify(steps[index].text, self.exprs.module)
                )
                if entity_info is not None and self.names.is_a(entity_info.qname, target):
                    target = entity_info.qname
                    index += 1
            if index == len(steps):
                return t.ObjectType(target)
            current = target
        return t.ObjectType(current)
