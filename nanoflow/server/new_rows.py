"""Rows of uploaded new objects straight from their wire values: one function generated per
entity does what decoding the change (`runtime.wire.reader` per value), giving the object its
initial values (`Session.initial_values`) and building its row (`runtime.store.rows`) do, with
no runtime-values dict in between. An upload of many new objects spends its time here.

Per column, the generated code takes the member's wire value (or the initial value when the
change does not set it), reads it with the wire reader of its kind, then validates and encodes
it with the very lines the store's builder uses (`rows.column_lines`): the row is the builder's
row of the decoded object by construction. It raises for anything it does not take as is
(a value that does not fit, text holding NUL, a value of a member the entity does not have that
is no member value): the caller then applies the change through the general path, which
decides what becomes of it (422, a refusal, a write of its own). Property-tested against that
path in tests/server/test_new_rows.py.

Entities with AutoNumbers, reference sets or file contents are left to the general path (the
store numbers, links and stamps those as it writes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from nanoflow.names import OWNER_ASSOCIATION
from nanoflow.runtime.store.rows import column_lines
from nanoflow.runtime.store.schema import EntityLayout
from nanoflow.runtime.wire import member_kinds, reader

Make = Callable[[str, dict[str, Any], dict[str, Any], Sequence[Any], int], tuple[Any, ...]]
"""`make(id, attributes, references, initial, seq)` → the row to insert: id, entity, a value
per column (as `TableLayout.select_list` selects them), seq. `initial`: the object's initial
runtime value per column (`NewRows.initial`)."""

_READ = frozenset({"Decimal", "DateTime", "Binary"})
"""Kinds whose wire value is read into another runtime value (the rest are the value)."""
_STRINGS = frozenset({"String", "HashedString"})


class NewRows:
    """The row maker of one entity's new objects (`new_rows(...)` says whether it has one)."""

    def __init__(
        self, layout: EntityLayout, enums: dict[str, frozenset[str]], native: bool
    ) -> None:
        self.layout = layout
        by_column = {column.name: member for member, column in layout.slots()}
        self.members = [by_column.get(c.name) for c in layout.table.columns]
        """The member of each column (None: a column of another entity of the table)."""
        self.attributes = frozenset(layout.attributes)
        self.references = frozenset(layout.references)
        self.make: Make = _generate(layout, self.members, enums, native)

    def initial(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The initial runtime value of each column, from an object's initial values."""
        return tuple(None if m is None else values.get(m) for m in self.members)


def new_rows(
    layout: EntityLayout, enums: dict[str, frozenset[str]], native: bool
) -> NewRows | None:
    """The row maker of an entity's new objects, or None when its objects need the general
    path (AutoNumbers, reference sets, file contents)."""
    if layout.is_file or layout.refsets:
        return None
    if any(c.kind == "AutoNumber" for c in layout.attributes.values()):
        return None
    return NewRows(layout, enums, native)


class _NotTaken(Exception):
    """A value the generated code leaves to the general path."""


def _not_taken(value: Any = None) -> None:
    raise _NotTaken


def _generate(
    layout: EntityLayout,
    members: list[str | None],
    enums: dict[str, frozenset[str]],
    native: bool,
) -> Make:
    kinds = member_kinds(layout)
    namespace: dict[str, Any] = {"M": object(), "NO": _not_taken, "D": Decimal}
    lines = ["def make(i, a, r, t, s):", "    k = 0"]
    parts = ["i", repr(layout.qname)]
    for n, member in enumerate(members):
        if member is None:
            parts.append("None")
            continue
        parts.append(f"x{n}")
        kind, enum = kinds[member]
        source = "r" if kind == "Ref" else "a"
        lines += [f"    x{n} = {source}.get({member!r}, M)", f"    if x{n} is M:"]
        lines.append(f"        x{n} = t[{n}]")
        if kind != "Ref":
            lines += ["    else:", "        k += 1"]
            if kind in _STRINGS:
                lines.append(f"        if x{n}.__class__ is str and '\\x00' in x{n}: NO()")
            elif kind == "Decimal":  # the reader, with its common case inlined
                namespace[f"w{n}"] = reader(kind, enum)
                lines += [
                    f"        if x{n}.__class__ is str:",
                    f"            x{n} = D(x{n})",
                    f"            if not x{n}.is_finite(): NO()",
                    f"        elif x{n} is not None: x{n} = w{n}(x{n})",
                ]
            elif kind in _READ:
                namespace[f"w{n}"] = reader(kind, enum)
                lines.append(f"        if x{n} is not None: x{n} = w{n}(x{n})")
        elif member == OWNER_ASSOCIATION:
            lines += ["    else:", "        NO()"]  # the server sets the owner
        lines += column_lines(layout, n, layout.table.columns[n], member, enums, namespace,
                              native=native)  # fmt: skip
    lines.append("    if k != len(a): NO()  # a member the entity does not have")
    parts.append("s")
    lines.append(f"    return ({', '.join(parts)},)")
    code = compile("\n".join(lines) + "\n", f"<nanoflow.new rows {layout.qname}>", "exec")
    exec(code, namespace)
    made: Make = namespace["make"]
    return made
