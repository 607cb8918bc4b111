"""Access rules (LANGUAGE.md 4) for one user: which objects they may read (as SQL, for every
read and download), which members of an object they may read and write, and whether they may
create or delete.

- An object is governed by the rules of its own entity for the user's roles (rules are not
  inherited by specializations, as in Mendix: a specialization needs its own). No rule: the
  entity is invisible.
- A rule covers the objects matching its `where` XPath (every object without one). A user may
  read an object if some rule covers it; the members they may read are the union of the read
  (and write: writing implies reading) members of the covering rules; likewise for writing.
- Creating needs a rule with `create` (not limited by the XPath); deleting needs a covering rule
  with `delete`.
- `HashedString` members are never readable (they never leave the server).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nanoflow import ir
from nanoflow.runtime.functions.context import EvalContext
from nanoflow.runtime.functions.tokens import token_value
from nanoflow.runtime.query import Dialect, condition, value_nodes
from nanoflow.runtime.values import MxObject

if TYPE_CHECKING:
    from nanoflow.names import NameTable
    from nanoflow.runtime.store.schema import EntityLayout, Schema


@dataclass(frozen=True, slots=True)
class Rule:
    """One access rule, its member names resolved (attribute names, association qnames)."""

    entity: str
    role: str
    module: str
    create: bool
    delete: bool
    read: frozenset[str] | None
    """Readable members (None: all); includes the writable ones."""
    write: frozenset[str] | None
    """Writable members (None: all)."""
    constraints: tuple[ir.XPathConstraint, ...]


class AccessRules:
    """The app's access rules by entity and role (built once per app)."""

    def __init__(self, names: NameTable) -> None:
        self.names = names
        self._rules: dict[str, dict[str, Rule]] = {}
        for module, decl in names.access_rules:
            entity = names.resolve_entity(decl.entity, module)
            role = names.resolve_role(decl.role, module)
            if entity is None or role is None:
                continue
            write = self._members(decl.write, entity.qname, module)
            read = self._members(decl.read, entity.qname, module)
            if write is None:
                read = None  # writing implies reading
            elif read is not None:
                read = read | write
            rule = Rule(
                entity.qname, role.qname, module, decl.create, decl.delete, read, write,
                decl.constraints,
            )  # fmt: skip
            self._rules.setdefault(entity.qname, {})[role.qname] = rule

    def _members(
        self, selection: ir.MemberSelection | None, entity: str, module: str
    ) -> frozenset[str] | None:
        if selection is None:
            return frozenset()
        if selection.all:
            return None
        info = self.names.entities[entity]
        found = set()
        for member in selection.members:
            if member.text in info.attributes:
                found.add(member.text)
                continue
            assoc = self.names.find_association(member, module, entity)
            if assoc is not None:
                found.add(assoc[0].qname)
        return frozenset(found)

    def rules(self, entity: str, roles: Collection[str]) -> list[Rule]:
        """The rules of `entity` for any of these roles."""
        by_role = self._rules.get(entity, {})
        return [by_role[r] for r in sorted(roles) if r in by_role]


class UserAccess:
    """What one user (id and roles) may do; token values (`[%CurrentUser%]`, the clock) are
    taken when this is made, once per request."""

    def __init__(
        self,
        rules: AccessRules,
        user_id: str,
        roles: Iterable[str],
        now: datetime | None = None,
    ) -> None:
        self.rules = rules
        self.names = rules.names
        self.user_id = user_id
        self.roles = frozenset(roles)
        moment = now or datetime.now(UTC)
        self._ctx = EvalContext(
            current_user=MxObject("System.User", user_id, {}), now=lambda: moment
        )

    def token(self, name: str) -> Any:
        """The value of a token (`CurrentUser`, `CurrentDateTime`, ...) for this user."""
        return token_value(self._ctx, name)

    def of(self, entity: str) -> list[Rule]:
        return self.rules.rules(entity, self.roles)

    def may_read_entity(self, entity: str) -> bool:
        return bool(self.of(entity))

    def may_create(self, entity: str) -> bool:
        return any(r.create for r in self.of(entity))

    # ---- SQL ---------------------------------------------------------------------------------

    def _tokens(self, constraints: Sequence[ir.XPathConstraint]) -> tuple[Any, ...]:
        return tuple(
            token_value(self._ctx, node.name)
            for node in value_nodes(constraints)
            if isinstance(node, ir.TokenRef)
        )

    def rule_condition(
        self, schema: Schema, dialect: Dialect, rule: Rule, alias: str, prefix: str
    ) -> tuple[str, dict[str, Any]]:
        """The SQL condition of the objects one rule covers."""
        values = self._tokens(rule.constraints)
        return condition(
            schema, dialect, rule.entity, rule.constraints, rule.module, values, alias, prefix
        )

    def read_condition(
        self, schema: Schema, dialect: Dialect, layout: EntityLayout, alias: str = "t"
    ) -> tuple[str, dict[str, Any]]:
        """The SQL condition of the rows of `layout`'s family this user may read."""
        params: dict[str, Any] = {}
        per_entity: list[str] = []
        for n, entity in enumerate(layout.family):
            rules = self.of(entity)
            if not rules:
                continue
            parts = []
            for m, rule in enumerate(rules):
                sql, found = self.rule_condition(schema, dialect, rule, alias, f"r{n}_{m}_")
                parts.append(f"({sql})")
                params.update(found)
            covered = " OR ".join(parts)
            if len(layout.table.entities) > 1:
                key = f"r{n}_e"
                params[key] = entity
                per_entity.append(f"({alias}.entity = :{key} AND ({covered}))")
            else:
                per_entity.append(f"({covered})")
        if not per_entity:
            return dialect.false, {}
        return "(" + " OR ".join(per_entity) + ")", params

    def readable(self, entity: str, covering: Iterable[Rule]) -> frozenset[str] | None:
        """The members readable through the covering rules (None: all but HashedStrings)."""
        found: set[str] = set()
        for rule in covering:
            if rule.read is None:
                return self._without_hashed(entity, None)
            found |= rule.read
        return self._without_hashed(entity, frozenset(found))

    def writable(self, covering: Iterable[Rule]) -> frozenset[str] | None:
        """The members writable through the covering rules (None: all)."""
        found: set[str] = set()
        for rule in covering:
            if rule.write is None:
                return None
            found |= rule.write
        return frozenset(found)

    def _without_hashed(self, entity: str, members: frozenset[str] | None) -> frozenset[str] | None:
        info = self.names.entities[entity]
        hashed = {n for n, a in info.attributes.items() if a.type_name == "HashedString"}
        if not hashed:
            return members
        if members is None:
            every = set(info.attributes) | self._associations(entity)
            return frozenset(every - hashed)
        return members - hashed

    def _associations(self, entity: str) -> set[str]:
        info = self.names.entities[entity]
        found = set()
        for name in (entity, *info.ancestors):
            for assoc in self.names.assoc_by_source.get(name, ()):
                found.add(assoc.qname)
        return found
