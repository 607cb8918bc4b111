"""`with entity access` (LANGUAGE.md 6): a microflow that declares it works under its caller's
access rules; any other runs with "apply entity access: no" and sees and changes everything.

`EntityAccess` holds one caller's rules (`UserAccess`) for one request and whether the running
flow applies them (`applied`, switched by `nanoflow.server.execution` as flows call each other).
While applied:

- every retrieve ANDs the user's read condition (`restriction`, given to `Query.select`);
- a commit of a new object needs the `create` right on its entity, and every member the flow
  set on it must be writable by one of the user's rules of that entity (creating is not limited
  by the XPath); a commit of a stored object needs each changed member to be writable by a rule
  covering the object as stored;
- a delete needs a rule with `delete` covering the object.

A refusal is a `MendixError` (the activity's error: a handler may catch it), raised before
anything is written. `covering` is also what filters `synchronize to device`, applied or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from nanoflow.runtime.storage import WriteUnit
from nanoflow.runtime.values import MendixError
from nanoflow.server.access import Rule, UserAccess

if TYPE_CHECKING:
    from nanoflow.runtime.store.schema import EntityLayout
    from nanoflow.server.store import ServerStore


class EntityAccess:
    """One caller's access rules over one request's store (see the module docstring)."""

    def __init__(self, access: UserAccess, store: ServerStore, user_name: str) -> None:
        self.access = access
        self.store = store
        self.user_name = user_name
        self.applied = False
        self._conditions: dict[str, tuple[str, dict[str, Any]]] = {}

    # ---- reads -------------------------------------------------------------------------------

    def restriction(self, layout: EntityLayout) -> tuple[str, dict[str, Any]]:
        """The condition on rows (as `t`) of `layout`'s family that the user may read."""
        found = self._conditions.get(layout.qname)
        if found is None:
            store = self.store
            found = self.access.read_condition(store.schema, store.dialect, layout, "t")
            self._conditions[layout.qname] = found
        return found

    async def covering(self, entity: str, ids: Sequence[str]) -> dict[str, list[Rule]]:
        """The user's rules covering each of these stored objects of exactly `entity` (ids
        not stored are left out)."""
        store = self.store
        schema, dialect = store.schema, store.dialect
        table = schema.layout(entity).table
        id_list = dialect.id_list(":ids")
        params: dict[str, Any] = {"ids": dialect.ids_param(list(ids))}
        stored = await store.conn.execute(
            text(f"SELECT t.id FROM {table.sql} t WHERE t.id IN ({id_list})"), params
        )
        found: dict[str, list[Rule]] = {row[0]: [] for row in stored.all()}
        if not found:
            return found
        for rule in self.access.of(entity):
            if not rule.constraints:
                for rules in found.values():
                    rules.append(rule)
                continue
            sql, extra = self.access.rule_condition(schema, dialect, rule, "t", "c")
            result = await store.conn.execute(
                text(f"SELECT t.id FROM {table.sql} t WHERE t.id IN ({id_list}) AND ({sql})"),
                {**params, **extra},
            )
            for row in result.all():
                found[row[0]].append(rule)
        return found

    # ---- writes ------------------------------------------------------------------------------

    async def check_write(self, unit: WriteUnit, existing: set[str]) -> None:
        """Refuse a commit the user's rules do not allow (nothing is written then)."""
        if not self.applied:
            return
        for entity, writes in unit.entities.items():
            stored = [i for i, _v, _c in writes.objects if i in existing]
            covering = await self.covering(entity, stored) if stored else {}
            for obj_id, _values, changed in writes.objects:
                if obj_id in existing:
                    rules = covering.get(obj_id, [])
                    if changed and not rules:
                        raise MendixError(
                            f"user `{self.user_name}` may not change this {entity}: no access "
                            "rule of their roles covers it"
                        )
                    self._writable(entity, changed, self.access.writable(rules), "change")
                    continue
                if not self.access.may_create(entity):
                    raise MendixError(f"user `{self.user_name}` may not create {entity} objects")
                rules = self.access.of(entity)
                self._writable(entity, changed, self.access.writable(rules), "set")

    def _writable(
        self, entity: str, changed: frozenset[str], writable: frozenset[str] | None, verb: str
    ) -> None:
        if writable is None:
            return
        refused = sorted(changed - writable)
        if refused:
            members = ", ".join(f"`{m}`" for m in refused)
            raise MendixError(
                f"user `{self.user_name}` may not {verb} {members} of {entity} (not writable "
                "for their roles)"
            )

    async def check_delete(self, ids: dict[str, list[str]]) -> None:
        """Refuse a delete of an object no rule with `delete` covers for the user."""
        if not self.applied:
            return
        for entity, object_ids in ids.items():
            covering = await self.covering(entity, object_ids)
            for rules in covering.values():
                if not any(rule.delete for rule in rules):
                    raise MendixError(
                        f"user `{self.user_name}` may not delete this {entity}"
                    )
