"""Generator of realistic, type-correct `.nf` apps, for the tests and the benchmark.

`generate_app(lines, seed)` is deterministic (a seeded `random.Random`). The same generator
runs on any `Chooser`, so `tests/strategies.py` drives it with hypothesis draws instead.

What it writes obeys the language's rules: every path of a flow with a return type returns;
`return`/`raise`/`break`/`continue` end their block; each variable is declared once per flow
and used only where its declaration dominates (a variable is visible in its block, after its
declaration, and in blocks nested there); nanoflows touch only offline entities (every entity
is in the offline profile); client activities and `synchronize` only in nanoflows; microflows
called from nanoflows take and return primitive values only; no error handler on loops.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

T = TypeVar("T")

__all__ = ["AppGenerator", "Chooser", "RandomChooser", "Sizes", "generate_app"]


# ---- choices ------------------------------------------------------------------------------------


class Chooser(Protocol):
    """The source of every random decision: an integer in [low, high]."""

    def integer(self, low: int, high: int) -> int: ...


class RandomChooser:
    """A `Chooser` on a seeded `random.Random` (deterministic)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)


# ---- types and the domain model ---------------------------------------------------------------

PRIM, ENUM, OBJ, LIST = "prim", "enum", "obj", "list"


@dataclass(frozen=True, slots=True)
class Ty:
    """A static type: a primitive, an enumeration, an object or a list of an entity."""

    kind: str
    name: str


STRING = Ty(PRIM, "String")
INTEGER = Ty(PRIM, "Integer")
LONG = Ty(PRIM, "Long")
DECIMAL = Ty(PRIM, "Decimal")
BOOLEAN = Ty(PRIM, "Boolean")
DATETIME = Ty(PRIM, "DateTime")
PRIMITIVES = (STRING, INTEGER, LONG, DECIMAL, BOOLEAN, DATETIME)
NUMERIC = (INTEGER, LONG, DECIMAL)

# Numeric widening accepted where a value of the key type is expected.
_WIDER: dict[Ty, tuple[Ty, ...]] = {LONG: (INTEGER,), DECIMAL: (INTEGER, LONG)}


@dataclass(slots=True)
class AttrDef:
    """An attribute: `type` is an attribute type name or an enumeration name."""

    name: str
    type: str
    length: int | None = None
    default: str | None = None
    required: bool = False
    unique: bool = False
    readonly: bool = False

    @property
    def ty(self) -> Ty | None:
        """Its type in expressions (None for HashedString and Binary, never read here)."""
        if self.type in ("HashedString", "Binary"):
            return None
        if self.type == "AutoNumber":
            return LONG
        if self.type in ("String", "Integer", "Long", "Decimal", "Boolean", "DateTime"):
            return Ty(PRIM, self.type)
        return Ty(ENUM, self.type)

    @property
    def settable(self) -> bool:
        return not self.readonly and self.type not in ("AutoNumber", "HashedString", "Binary")


@dataclass(slots=True)
class EntityDef:
    name: str
    parent: str | None = None  # an entity of the module, or "System.Image"
    owner: bool = False
    attrs: list[AttrDef] = field(default_factory=list)
    handlers: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class AssocDef:
    name: str
    source: str
    target: str
    many: bool


@dataclass(slots=True)
class EnumDef:
    name: str
    values: list[str]


@dataclass(slots=True)
class FlowSig:
    kind: str  # "nanoflow" | "microflow"
    name: str
    params: list[tuple[str, Ty]]
    returns: Ty | None
    role: str = "plain"  # "plain" | "service" (callable from nanoflows) | "handler"


@dataclass(slots=True)
class CallTarget:
    """Something a flow can call: a flow or a host action."""

    kind: str  # "nanoflow" | "microflow" | "action"
    name: str
    params: list[tuple[str, Ty]]
    returns: Ty | None


_SYSTEM_FILE_ATTRS = [
    AttrDef("Name", "String"),
    AttrDef("Size", "Long", readonly=True),
    AttrDef("HasContents", "Boolean", readonly=True),
]

# ---- name pools -------------------------------------------------------------------------------

ENTITY_WORDS = (
    "Customer", "Order", "OrderLine", "Product", "Invoice", "Payment", "Shipment", "Warehouse",
    "Supplier", "Category", "Tag", "Employee", "Department", "Project", "Task", "Ticket",
    "Contract", "Vehicle", "Route", "Visit", "Inspection", "Asset", "Meter", "Reading",
    "Memo", "Address", "Contact", "Campaign", "Lead", "Quote", "Coupon", "Store", "Shelf",
    "Batch", "Recipe", "Ingredient", "Machine", "Sensor", "Alarm", "Schedule", "Shift",
    "Booking", "Room", "Guest", "Survey", "Answer", "Question", "Delivery", "Driver",
)  # fmt: skip
ENUM_SUFFIXES = ("Status", "Priority", "Kind", "Stage", "Channel", "Severity", "Region")
ENUM_VALUES = (
    "Draft", "Open", "Placed", "Shipped", "Closed", "Cancelled", "Low", "Medium", "High",
    "Urgent", "Red", "Green", "Blue", "North", "South", "East", "West", "Fresh", "Pending",
    "Approved", "Rejected", "Small", "Large", "Web", "Phone", "Counter", "Minor", "Major",
)  # fmt: skip
ATTR_WORDS: dict[str, tuple[str, ...]] = {
    "String": ("Title", "Description", "Code", "Email", "Phone", "City", "Street", "Remark",
               "Reference", "Label", "Comment", "Summary"),
    "Integer": ("Quantity", "Rank", "Score", "Points", "Age", "Sequence", "Attempts", "Seats"),
    "Long": ("Views", "Bytes", "Serial", "Mileage"),
    "Decimal": ("Total", "Price", "Amount", "Weight", "Rate", "Balance", "Cost", "Tax"),
    "Boolean": ("Active", "Paid", "Flagged", "Archived", "Verified", "Visible", "Locked"),
    "DateTime": ("CreatedAt", "DueDate", "PlacedAt", "ClosedAt", "StartTime", "EndTime"),
    "AutoNumber": ("Number",),
    "HashedString": ("Secret", "Pin"),
    "Binary": ("Blob", "Payload"),
    "enum": ("Status", "State", "Phase", "Mode", "Grade", "Tier"),
}  # fmt: skip
ROLE_WORDS = ("Clerk", "Manager", "Auditor", "Courier", "Planner", "Supervisor")
VERBS = (
    "Place", "Validate", "Recalculate", "Archive", "Refresh", "Load", "Approve", "Cancel",
    "Export", "Count", "Summarize", "Prepare", "Check", "Assign", "Close", "Reopen",
)  # fmt: skip
VAR_WORDS: dict[str, tuple[str, ...]] = {
    "String": ("text", "message", "label", "summary", "code", "title", "note"),
    "Integer": ("count", "attempts", "qty", "position", "steps", "size"),
    "Long": ("bigCount", "serial", "views"),
    "Decimal": ("total", "amount", "price", "ratio", "sumValue"),
    "Boolean": ("ok", "found", "valid", "done", "isNew", "changed"),
    "DateTime": ("when", "deadline", "startedAt", "until"),
}
# Grammar words that are not reserved may name variables (after `$`) and parameters.
WORD_VARS = ("first", "to", "from", "list", "limit", "offset", "where", "all", "of", "by", "log")
PHRASES = (
    "Saved.", "Check the total", "Order placed", "It''s here", "Retrying", "Done",
    "No lines yet", "Sync failed: ", "Hello", "Ready", "x", "", "50% off", "a/b", "Total: ",
)  # fmt: skip
TOKENS_DT = ("[%CurrentDateTime%]", "[%BeginOfCurrentDay%]", "[%EndOfCurrentDay%]")
DATE_PATTERNS = ("yyyy-MM-dd", "dd/MM/yyyy HH:mm", "HH:mm:ss", "EEE d MMM")

# Expression precedence levels (loosest first).
IF_, OR_, AND_, CMP_, ADD_, MUL_, UNARY_, PRIM_ = range(8)


def _lower_first(name: str) -> str:
    return name[0].lower() + name[1:]


def wrap(expr: tuple[str, int], level: int) -> str:
    """The text of `expr`, in parentheses when it binds looser than `level`."""
    text, own = expr
    return f"({text})" if own < level else text


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big an app to make; ranges are inclusive."""

    enums: tuple[int, int] = (2, 4)
    entities: tuple[int, int] = (3, 6)
    roles: tuple[int, int] = (1, 3)
    flows: tuple[int, int] = (3, 8)
    top_statements: tuple[int, int] = (3, 10)
    nested_statements: tuple[int, int] = (1, 4)
    depth: int = 3
    expr_depth: int = 3
    params: tuple[int, int] = (0, 3)
    target_lines: int | None = None
    shuffle: bool = False
    comments: bool = True
    min_specializations: int = 0
    flow_lines: int = 150  # stop adding statements to a flow past this many lines


# ---- the app generator ------------------------------------------------------------------------


class AppGenerator:
    """Builds one app; `generate()` returns its text."""

    def __init__(self, chooser: Chooser, sizes: Sizes, module: str = "Sales") -> None:
        self.c = chooser
        self.sizes = sizes
        self.module = module
        self.enums: dict[str, EnumDef] = {}
        self.entities: dict[str, EntityDef] = {}
        self.assocs: list[AssocDef] = []
        self.roles: list[str] = []
        self.pages: list[CallTarget] = []
        self.actions: list[CallTarget] = []
        self.flows: list[FlowSig] = []
        self._names: set[str] = set()
        self.handler_flows: list[tuple[FlowSig, EntityDef, str]] = []

    # -- choice helpers --

    def integer(self, low: int, high: int) -> int:
        return low if high <= low else self.c.integer(low, high)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]

    def chance(self, p: float) -> bool:
        """True with probability p; shrinks (towards 0) to False."""
        return self.c.integer(0, 999) >= 1000 - round(p * 1000)

    def sample(self, items: Sequence[T], count: int) -> list[T]:
        pool = list(items)
        out: list[T] = []
        for _ in range(min(count, len(pool))):
            out.append(pool.pop(self.integer(0, len(pool) - 1)))
        return out

    def pick_range(self, bounds: tuple[int, int]) -> int:
        return self.integer(bounds[0], bounds[1])

    def unique_name(self, base: str) -> str:
        """A module-level name not used yet."""
        name, n = base, 2
        while name in self._names:
            name, n = f"{base}{n}", n + 1
        self._names.add(name)
        return name

    def q(self, name: str) -> str:
        """A module name, qualified or not (both are valid inside the module)."""
        return f"{self.module}.{name}" if self.chance(0.5) else name

    # -- model queries --

    def all_attrs(self, entity: str) -> list[AttrDef]:
        """Own and inherited attributes."""
        ent = self.entities[entity]
        own = list(ent.attrs)
        if ent.parent == "System.Image":
            return _SYSTEM_FILE_ATTRS + own
        if ent.parent:
            return self.all_attrs(ent.parent) + own
        return own

    def descendants(self, entity: str) -> list[str]:
        out: list[str] = []
        for e in self.entities.values():
            if e.parent == entity:
                out.append(e.name)
                out.extend(self.descendants(e.name))
        return out

    def is_a(self, entity: str, ancestor: str) -> bool:
        current: str | None = entity
        while current is not None and current in self.entities:
            if current == ancestor:
                return True
            current = self.entities[current].parent
        return False

    def fits(self, src: Ty, dst: Ty, exact: bool = False) -> bool:
        if src == dst:
            return True
        if exact:
            return False
        if src.kind == OBJ and dst.kind == OBJ:
            return self.is_a(src.name, dst.name)
        return src in _WIDER.get(dst, ())

    def type_text(self, ty: Ty) -> str:
        if ty.kind == PRIM:
            return ty.name
        if ty.kind == LIST:
            return f"List of {self.q(ty.name)}"
        return self.q(ty.name)

    # -- top level --

    def generate(self) -> str:
        """The app's text: one file of module `self.module`."""
        s = self.sizes
        for _ in range(self.pick_range(s.enums)):
            self._make_enum()
        for i in range(max(1, self.pick_range(s.entities))):
            self._make_entity(force_parent=1 <= i <= s.min_specializations)
        self._make_associations()
        for _ in range(max(1, self.pick_range(s.roles))):
            self.roles.append(self.unique_name(self.choice(ROLE_WORDS)))
        self._make_pages_and_actions()
        self._make_handlers()
        header = self._domain_chunks()
        flow_chunks = [self._flow_text(sig, ent, moment) for sig, ent, moment in self.handler_flows]
        lines = sum(chunk.count("\n") for chunk in header + flow_chunks)
        count = 0
        if s.target_lines is None:
            wanted = self.pick_range(s.flows)
            while count < wanted:
                flow_chunks.append(self._new_flow())
                count += 1
        else:
            while lines < s.target_lines:
                chunk = self._new_flow()
                flow_chunks.append(chunk)
                lines += chunk.count("\n")
        chunks = header + flow_chunks
        if s.shuffle:
            chunks = self.sample(chunks, len(chunks))
        return f"module {self.module}\n\n" + "\n".join(chunks)

    # -- domain model --

    def _make_enum(self) -> None:
        name = self.unique_name(self.choice(ENTITY_WORDS) + self.choice(ENUM_SUFFIXES))
        values = self.sample(ENUM_VALUES, self.integer(2, 6))
        self.enums[name] = EnumDef(name, values)

    def _make_entity(self, force_parent: bool = False) -> None:
        name = self.unique_name(self.choice(ENTITY_WORDS))
        parent: str | None = None
        plain = [e.name for e in self.entities.values()]
        if plain and (force_parent or self.chance(0.25)):
            parent = self.choice(plain)
        elif self.chance(0.05):
            parent = "System.Image"
        ent = EntityDef(name, parent, owner=parent is None and self.chance(0.4))
        self.entities[name] = ent
        taken = {a.name for a in self.all_attrs(name)} if parent else set()
        kinds = ["String", "Integer", "Decimal", "Boolean", "DateTime", "Long"]
        if self.enums:
            kinds.append("enum")
        count = self.integer(2, 7) if parent is None else self.integer(1, 3)
        chosen = ["String"] if parent is None else []
        chosen += [self.choice(kinds) for _ in range(count)]
        if parent is None and self.chance(0.3):
            chosen.append(self.choice(["AutoNumber", "HashedString", "Binary"]))
        for kind in chosen:
            attr = self._make_attr(kind, taken)
            taken.add(attr.name)
            ent.attrs.append(attr)
        sortable = [a.name for a in ent.attrs if a.type not in ("HashedString", "Binary")]
        if sortable and self.chance(0.3):
            ent.indexes.append(self.sample(sortable, self.integer(1, 2)))

    def _make_attr(self, kind: str, taken: set[str]) -> AttrDef:
        base = self.choice(ATTR_WORDS[kind])
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        if kind == "enum":
            enum = self.enums[self.choice(list(self.enums))]
            default = None
            if self.chance(0.5):
                value = self.choice(enum.values)
                default = value if self.chance(0.5) else f"{enum.name}.{value}"
            return AttrDef(name, enum.name, default=default)
        attr = AttrDef(name, kind)
        if kind == "String":
            if self.chance(0.3):
                attr.length = self.choice([50, 200, 1000])
            if self.chance(0.2):
                attr.default = f"'{self.choice(PHRASES)}'"
            attr.required = self.chance(0.15)
            attr.unique = self.chance(0.08)
        elif kind == "Integer" and self.chance(0.4):
            attr.default = self.choice(["0", "1", "10", "-1"])
        elif kind == "Long" and self.chance(0.3):
            attr.default = self.choice(["0", "1000000", "-5"])
        elif kind == "Decimal" and self.chance(0.5):
            attr.default = self.choice(["0", "1000.00", "0.5", "-2.25"])
        elif kind == "Boolean" and self.chance(0.6):
            attr.default = self.choice(["true", "false"])
        return attr

    def _make_associations(self) -> None:
        names = list(self.entities)
        for source in names:
            for _ in range(self.integer(0, 2)):
                target = self.choice(names)
                # No self-references and none between an entity and its generalizations:
                # retrieving over them would be ambiguous in direction.
                if self.is_a(source, target) or self.is_a(target, source):
                    continue
                many = self.chance(0.3)
                name = self.unique_name(f"{source}_{target}")
                self.assocs.append(AssocDef(name, source, target, many))

    def _make_pages_and_actions(self) -> None:
        for ent in self.sample(list(self.entities), self.integer(1, 3)):
            name = self.unique_name(f"{ent}_{self.choice(['Edit', 'Overview', 'Detail'])}")
            param = _lower_first(ent)
            self.pages.append(CallTarget("page", name, [(param, Ty(OBJ, ent))], None))
        catalog = [
            ("Notify", [("text", STRING)], BOOLEAN),
            ("Vibrate", [("duration", INTEGER)], None),
            ("ScanCode", [], STRING),
            ("StartTimer", [("label", STRING), ("at", DATETIME)], None),
            ("ReadSensor", [("channel", INTEGER)], DECIMAL),
        ]
        for name, params, returns in self.sample(catalog, self.integer(1, len(catalog))):
            self.actions.append(CallTarget("action", self.unique_name(name), params, returns))

    def _make_handlers(self) -> None:
        for ent in list(self.entities.values()):
            if ent.parent is not None or not self.chance(0.3):
                continue
            moment = self.choice(["before", "after"])
            action = self.choice(["commit", "commit", "delete"])
            prefix = ("B" if moment == "before" else "A") + ("Co" if action == "commit" else "De")
            name = self.unique_name(f"{prefix}_{ent.name}")
            sig = FlowSig(
                "microflow",
                name,
                [(_lower_first(ent.name), Ty(OBJ, ent.name))],
                BOOLEAN if moment == "before" else None,
                role="handler",
            )
            ent.handlers.append((moment, action, name))
            self.handler_flows.append((sig, ent, moment))

    def _domain_chunks(self) -> list[str]:
        chunks: list[str] = []
        for enum in self.enums.values():
            body = "".join(f"  {v} '{v.replace('_', ' ')}'\n" for v in enum.values)
            chunks.append(f"enumeration {enum.name} {{\n{body}}}\n")
        for ent in self.entities.values():
            chunks.append(self._entity_text(ent))
        for assoc in self.assocs:
            many = "many " if assoc.many else ""
            chunks.append(
                f"association {assoc.name} from {self.q(assoc.source)} to {many}"
                f"{self.q(assoc.target)}\n"
            )
        chunks.extend(f"role {role}\n" for role in self.roles)
        for ent in self.entities.values():
            for role in self.sample(self.roles, self.integer(1, len(self.roles))):
                chunks.append(self._access_text(ent, role))
        chunks.append(self._offline_text())
        for page in self.pages:
            chunks.append(f"page {page.name}({self._params_text(page.params)})\n")
        for act in self.actions:
            returns = f" returns {self.type_text(act.returns)}" if act.returns else ""
            chunks.append(f"action {act.name}({self._params_text(act.params)}){returns}\n")
        return chunks

    def _entity_text(self, ent: EntityDef) -> str:
        head = f"entity {ent.name}"
        if ent.parent:
            parent = ent.parent if ent.parent.startswith("System.") else self.q(ent.parent)
            head += f" extends {parent}"
        if ent.owner:
            head += " with owner"
        lines = [head + " {"]
        for a in ent.attrs:
            type_text = a.type if a.type in ATTR_WORDS else self.q(a.type)
            if a.length is not None:
                type_text += f"({a.length})"
            text = f"  {a.name}: {type_text}"
            if a.default is not None:
                text += f" = {a.default}"
            if a.required:
                text += " required"
            if a.unique:
                text += " unique"
            lines.append(text)
        for moment, action, flow in ent.handlers:
            lines.append(f"  on {moment} {action} {self.q(flow)}")
        for index in ent.indexes:
            lines.append(f"  index ({', '.join(index)})")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _owned_assocs(self, entity: str) -> list[AssocDef]:
        return [a for a in self.assocs if a.source == entity]

    def _access_text(self, ent: EntityDef, role: str) -> str:
        rights: list[str] = []
        if self.chance(0.6):
            rights.append("create")
        if self.chance(0.4):
            rights.append("delete")
        members = [a.name for a in ent.attrs]
        writable = [a.name for a in ent.attrs if a.settable]
        writable += [a.name for a in self._owned_assocs(ent.name)]
        if self.chance(0.5) or not members:
            rights.append("read *")
        else:
            rights.append(f"read ({', '.join(self.sample(members, self.integer(1, 4)))})")
        if self.chance(0.4):
            rights.append("write *")
        elif writable and self.chance(0.6):
            rights.append(f"write ({', '.join(self.sample(writable, self.integer(1, 4)))})")
        lines = [f"access {self.q(ent.name)} for {self.q(role)} {{"]
        if self.chance(0.5):
            lines.append("  " + ", ".join(rights))
        else:
            lines.extend(f"  {r}" for r in rights)
        if self.chance(0.4):
            lines.append("  where " + self.xpath(ent.name, None, 1))
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _offline_text(self) -> str:
        lines = ["offline {"]
        for ent in self.entities.values():
            if self.chance(0.3):
                lines.append(f"  {self.q(ent.name)}: by xpath {self.xpath(ent.name, None, 1)}")
            else:
                lines.append(f"  {self.q(ent.name)}: all")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _params_text(self, params: list[tuple[str, Ty]]) -> str:
        return ", ".join(f"${name}: {self.type_text(ty)}" for name, ty in params)

    # -- flows --

    def _random_type(self, primitive_only: bool) -> Ty:
        options: list[Ty] = [STRING, INTEGER, DECIMAL, BOOLEAN, DATETIME, LONG]
        if self.enums:
            options.append(Ty(ENUM, self.choice(list(self.enums))))
        if not primitive_only:
            entity = self.choice(list(self.entities))
            options += [Ty(OBJ, entity), Ty(OBJ, entity), Ty(LIST, entity)]
        return self.choice(options)

    def _new_flow(self) -> str:
        kind = "nanoflow" if self.chance(0.6) else "microflow"
        role = "plain"
        if kind == "microflow" and self.chance(0.5):
            role = "service"
        params: list[tuple[str, Ty]] = []
        used: set[str] = set()
        for _ in range(self.pick_range(self.sizes.params)):
            ty = self._random_type(primitive_only=role == "service")
            if self.chance(0.05):
                base = self.choice(WORD_VARS[:3])
            elif ty.kind == PRIM:
                base = self.choice(VAR_WORDS[ty.name])
            elif ty.kind == LIST:
                base = _lower_first(ty.name) + "List"
            else:
                base = _lower_first(ty.name)
            name, n = base, 2
            while name in used:
                name, n = f"{base}{n}", n + 1
            used.add(name)
            params.append((name, ty))
        returns = None
        if self.chance(0.6):
            returns = self._random_type(primitive_only=role == "service")
        subject = self.choice(list(self.entities))
        prefix = {"nanoflow": "ACT", "microflow": "MF"}[kind]
        if role == "service":
            prefix = "SVC"
        name = self.unique_name(f"{prefix}_{subject}_{self.choice(VERBS)}")
        sig = FlowSig(kind, name, params, returns, role)
        text = self._flow_text(sig, None, None)
        self.flows.append(sig)
        return text

    def _flow_text(self, sig: FlowSig, handled: EntityDef | None, moment: str | None) -> str:
        head = f"{sig.kind} {sig.name}({self._params_text(sig.params)})"
        if sig.returns is not None:
            head += f" returns {self.type_text(sig.returns)}"
        if sig.role == "service" or (sig.kind == "nanoflow" and self.chance(0.5)):
            head += " allow " + ", ".join(
                self.q(r) for r in self.sample(self.roles, self.integer(1, len(self.roles)))
            )
        if sig.kind == "microflow" and sig.role != "handler" and self.chance(0.2):
            head += " with entity access"
        gen = FlowGen(self, sig)
        gen.emit(head + " {")
        gen.body(handled)
        gen.emit("}")
        if self.sizes.comments and self.chance(0.3):
            gen.lines.insert(0, f"// {sig.name}: generated {sig.kind}")
        return "\n".join(gen.lines) + "\n"

    # -- XPath --

    def xpath(self, entity: str, flow: FlowGen | None, depth: int) -> str:
        """One or more constraints `[...]` on `entity`; variables only when `flow` is given."""
        text = f"[{self._xp(entity, flow, depth)[0]}]"
        if self.chance(0.1):
            text += f"[{self._xp(entity, flow, 0)[0]}]"
        return text

    def _xp(self, entity: str, flow: FlowGen | None, depth: int) -> tuple[str, int]:
        if depth > 0:
            pick = self.integer(0, 5)
            if pick == 1:
                left = self._xp(entity, flow, depth - 1)
                right = self._xp(entity, flow, depth - 1)
                return f"{wrap(left, AND_)} and {wrap(right, CMP_)}", AND_
            if pick == 2:
                left = self._xp(entity, flow, depth - 1)
                right = self._xp(entity, flow, depth - 1)
                return f"{wrap(left, OR_)} or {wrap(right, AND_)}", OR_
            if pick == 3:
                return f"not({self._xp(entity, flow, depth - 1)[0]})", PRIM_
            if pick == 4:
                return f"({self._xp(entity, flow, depth - 1)[0]})", PRIM_
        return self._xp_leaf(entity, flow), CMP_

    def _xp_leaf(self, entity: str, flow: FlowGen | None) -> str:
        options: list[Callable[[], str | None]] = [
            lambda: self._xp_attr(entity, flow, ""),
            lambda: self._xp_attr(entity, flow, ""),
            lambda: self._xp_assoc(entity, flow),
            lambda: self._xp_owner(entity),
        ]
        if flow is not None:
            options.append(lambda: flow.xp_id(entity))
        for _ in range(6):
            text = self.choice(options)()
            if text is not None:
                return text
        return "true()" if self.chance(0.5) else "true"

    def _xp_owner(self, entity: str) -> str | None:
        if not self.entities[entity].owner:
            return None
        return "System.owner = '[%CurrentUser%]'"

    def _xp_assoc(self, entity: str, flow: FlowGen | None) -> str | None:
        refs = [a for a in self.assocs if entity in (a.source, a.target)]
        if not refs:
            return None
        assoc = self.choice(refs)
        other = assoc.target if assoc.source == entity else assoc.source
        if assoc.source == entity and not assoc.many and flow is not None and self.chance(0.4):
            var = flow.var_of(Ty(OBJ, other), xpath=True)
            if var is not None:
                return f"{self.q(assoc.name)} = ${var}"
        if self.chance(0.3):
            return f"{self.q(assoc.name)} {self.choice(['=', '!='])} empty"
        prefix = f"{self.q(assoc.name)}/{self.q(other)}/"
        return self._xp_attr(other, flow, prefix)

    def _xp_attr(self, entity: str, flow: FlowGen | None, prefix: str) -> str | None:
        attrs = [a for a in self.all_attrs(entity) if a.ty is not None]
        if not attrs:
            return None
        attr = self.choice(attrs)
        ty = attr.ty
        assert ty is not None
        path = prefix + attr.name
        if self.chance(0.15):
            return f"{path} {self.choice(['=', '!='])} empty"
        if flow is not None and self.chance(0.3):
            value = flow.xp_value(ty)
            if value is not None:
                ordered = ty in (INTEGER, LONG, DECIMAL, DATETIME)
                op = self.choice(["=", "!=", "<", ">", "<=", ">="] if ordered else ["=", "!="])
                return f"{path} {op} {value}"
        if ty == STRING:
            word = self.choice(["a", "North", "x''y", ""])
            pick = self.integer(0, 3)
            if pick == 0:
                return f"{path} {self.choice(['=', '!='])} '{word}'"
            func = ("contains", "starts-with", "ends-with")[pick - 1]
            return f"{func}({path}, '{word}')"
        if ty == BOOLEAN:
            pick = self.integer(0, 3)
            if pick == 0 and not prefix:
                return path
            if pick == 1:
                return f"{path} = {self.choice(['true', 'false', 'true()', 'false()'])}"
            return f"{path} != {self.choice(['true', 'false'])}"
        if ty in (INTEGER, LONG):
            op = self.choice(["=", "!=", "<", ">", "<=", ">="])
            return f"{path} {op} {self.choice(['0', '5', '-3', '100'])}"
        if ty == DECIMAL:
            op = self.choice(["=", "!=", "<", ">", "<=", ">="])
            return f"{path} {op} {self.choice(['0', '10.5', '-2.25', '100'])}"
        if ty == DATETIME:
            op = self.choice(["<", ">", "<=", ">="])
            token = self.choice(TOKENS_DT)
            return f"{path} {op} " + (f"'{token}'" if self.chance(0.5) else token)
        if ty.kind == ENUM:
            value = self.choice(self.enums[ty.name].values)
            return f"{path} {self.choice(['=', '!='])} '{value}'"
        return None


# ---- one flow ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Var:
    name: str
    ty: Ty
    mutable: bool = False


class FlowGen:
    """Writes the body of one flow, tracking visible variables and what may come where."""

    def __init__(self, app: AppGenerator, sig: FlowSig) -> None:
        self.app = app
        self.sig = sig
        self.nano = sig.kind == "nanoflow"
        self.lines: list[str] = []
        self.indent = 0
        self.names: set[str] = set()
        self.scopes: list[list[Var]] = [[]]
        self.loop_depth = 0
        self.in_handler = False
        self.lambda_vars: dict[str, Ty] = {}
        for name, ty in sig.params:
            self.names.add(name)
            self.scopes[0].append(Var(name, ty))
        if sig.kind == "nanoflow":
            self.callees: list[CallTarget] = [
                CallTarget(f.kind, f.name, f.params, f.returns)
                for f in app.flows
                if f.kind == "nanoflow" or f.role == "service"
            ] + app.actions
        else:
            self.callees = [
                CallTarget(f.kind, f.name, f.params, f.returns)
                for f in app.flows
                if f.kind == "microflow" and f.role != "handler"
            ]

    # -- output --

    def emit(self, text: str) -> None:
        self.lines.append("  " * self.indent + text)

    def append(self, text: str) -> None:
        """Continue the last line (`} else {`, `on error {`)."""
        self.lines[-1] += text

    @contextmanager
    def block(self) -> Iterator[None]:
        """The inside of `{ ... }` (the opening line is already written)."""
        self.indent += 1
        self.scopes.append([])
        try:
            yield
        finally:
            self.scopes.pop()
            self.indent -= 1
            self.emit("}")

    # -- variables --

    def visible(self) -> Iterator[Var]:
        for scope in self.scopes:
            yield from scope

    def fresh(self, base: str) -> str:
        if self.app.chance(0.03):
            base = self.app.choice(WORD_VARS)
        name, n = base, 2
        while name in self.names or name in (
            "currentIndex", "latestError", "currentObject", "currentResult",
        ):  # fmt: skip
            name, n = f"{base}{n}", n + 1
        self.names.add(name)
        return name

    def declare(self, name: str, ty: Ty, mutable: bool = False) -> None:
        self.scopes[-1].append(Var(name, ty, mutable))

    def base_name(self, ty: Ty) -> str:
        if ty.kind == PRIM:
            return self.app.choice(VAR_WORDS[ty.name])
        if ty.kind == LIST:
            return _lower_first(ty.name) + "List"
        return _lower_first(ty.name)

    def vars_of(self, ty: Ty, exact: bool = False) -> list[str]:
        """Names (with lambda names) of visible values that fit `ty`."""
        out = [v.name for v in self.visible() if self.app.fits(v.ty, ty, exact)]
        out += [n for n, t in self.lambda_vars.items() if self.app.fits(t, ty, exact)]
        if ty == INTEGER and self.loop_depth and not self.lambda_vars:
            out.append("currentIndex")
        if ty == STRING and self.in_handler and not self.lambda_vars:
            out.append("latestError")
        return out

    def var_of(self, ty: Ty, xpath: bool = False) -> str | None:
        if xpath:
            names = [v.name for v in self.visible() if self.app.fits(v.ty, ty)]
        else:
            names = self.vars_of(ty)
        return self.app.choice(names) if names else None

    def objects(self) -> list[tuple[str, str]]:
        """(variable, entity) of visible object values, lambda `$currentObject` included."""
        out = [(v.name, v.ty.name) for v in self.visible() if v.ty.kind == OBJ]
        out += [(n, t.name) for n, t in self.lambda_vars.items() if t.kind == OBJ]
        return out

    def lists(self, entity: str | None = None) -> list[tuple[str, str]]:
        return [
            (v.name, v.ty.name)
            for v in self.visible()
            if v.ty.kind == LIST and (entity is None or v.ty.name == entity)
        ]

    # -- expressions --

    def expr(self, ty: Ty, depth: int, exact: bool = False) -> tuple[str, int]:
        """An expression of type `ty` (exact: no widening, so `declare $x = e` infers `ty`)."""
        a = self.app
        if depth > 0 and a.chance(0.55):
            for _ in range(3):
                composite = self._composite(ty, depth - 1, exact)
                if composite is not None:
                    return composite
        for _ in range(4):
            leaf = self._leaf(ty, exact)
            if leaf is not None:
                return leaf
        lit = self.literal(ty, exact)
        return lit if lit is not None else ("empty", PRIM_)

    def literal(self, ty: Ty, exact: bool = False) -> tuple[str, int] | None:
        a = self.app
        if ty == STRING:
            return f"'{a.choice(PHRASES)}'", PRIM_
        if ty == INTEGER or (ty == LONG and not exact):
            return str(a.choice([0, 1, 2, 3, 7, 10, 42, 100, 250, 1000])), PRIM_
        if ty == DECIMAL:
            if not exact and a.chance(0.2):
                return str(a.integer(0, 500)), PRIM_
            return a.choice(["0.0", "1.5", "2.25", "10.00", "99.99", "0.125"]), PRIM_
        if ty == BOOLEAN:
            return a.choice(["true", "false"]), PRIM_
        if ty == DATETIME:
            if a.chance(0.3):
                year, month, day = a.integer(2000, 2030), a.integer(1, 12), a.integer(1, 28)
                return f"dateTime({year}, {month}, {day})", PRIM_
            return a.choice(TOKENS_DT), PRIM_
        if ty.kind == ENUM:
            value = a.choice(a.enums[ty.name].values)
            enum = f"{a.module}.{ty.name}" if a.chance(0.5) else ty.name
            return f"{enum}.{value}", PRIM_
        return None

    def _leaf(self, ty: Ty, exact: bool) -> tuple[str, int] | None:
        a = self.app
        pick = a.integer(0, 3)
        if pick == 0:
            return self.literal(ty, exact)
        if pick == 1:
            names = self.vars_of(ty, exact)
            return (f"${a.choice(names)}", PRIM_) if names else None
        if pick == 2:
            return self.member_path(ty, exact)
        if ty.kind == OBJ:
            lists = self.lists(ty.name)
            if lists:
                return f"head(${a.choice(lists)[0]})", PRIM_
        return None

    def member_path(self, ty: Ty, exact: bool = False) -> tuple[str, int] | None:
        """`$o/Attr`, `$o/Ref/Target/Attr`, `$o/Ref/Attr`, or `$o/Ref` (an object)."""
        a = self.app
        paths: list[str] = []
        for var, entity in self.objects():
            for attr in a.all_attrs(entity):
                if attr.ty is not None and a.fits(attr.ty, ty, exact):
                    paths.append(f"${var}/{attr.name}")
            for assoc in a._owned_assocs(entity):
                if assoc.many:
                    continue
                if ty.kind == OBJ and a.fits(Ty(OBJ, assoc.target), ty, exact):
                    paths.append(f"${var}/{a.q(assoc.name)}")
                for attr in a.all_attrs(assoc.target):
                    if attr.ty is not None and a.fits(attr.ty, ty, exact):
                        step = f"{a.q(assoc.target)}/" if a.chance(0.6) else ""
                        paths.append(f"${var}/{a.q(assoc.name)}/{step}{attr.name}")
        return (a.choice(paths), PRIM_) if paths else None

    def _attr_of(self, entity: str, want: Ty | None = None) -> AttrDef | None:
        attrs = [
            x
            for x in self.app.all_attrs(entity)
            if x.ty is not None and (want is None or x.ty == want)
        ]
        return self.app.choice(attrs) if attrs else None

    def _with_lambda(self, names: dict[str, Ty], make: Callable[[], str]) -> str:
        saved = self.lambda_vars
        self.lambda_vars = names
        try:
            return make()
        finally:
            self.lambda_vars = saved

    def _composite(self, ty: Ty, d: int, exact: bool) -> tuple[str, int] | None:
        a = self.app
        e = self.expr
        if a.chance(0.08) and ty.kind in (PRIM, ENUM):
            cond = wrap(e(BOOLEAN, d), OR_)
            return (
                f"if {cond} then {e(ty, d, exact)[0]} else {e(ty, d, exact)[0]}",
                IF_,
            )
        if ty == STRING:
            pick = a.integer(0, 8)
            if pick == 0:
                return f"{wrap(e(STRING, d), ADD_)} + {wrap(e(STRING, d), MUL_)}", ADD_
            if pick == 1:
                other = a.choice([INTEGER, DECIMAL, BOOLEAN, LONG])
                return f"{wrap(e(STRING, d), ADD_)} + {wrap(e(other, d), MUL_)}", ADD_
            if pick == 2:
                fn = a.choice(["toUpperCase", "toLowerCase", "trim"])
                return f"{fn}({e(STRING, d)[0]})", PRIM_
            if pick == 3:
                other = a.choice([INTEGER, DECIMAL, BOOLEAN, LONG])
                return f"toString({e(other, d)[0]})", PRIM_
            if pick == 4:
                pattern = a.choice(DATE_PATTERNS)
                return f"formatDateTime({e(DATETIME, d)[0]}, '{pattern}')", PRIM_
            if pick == 5 and a.enums:
                enum = Ty(ENUM, a.choice(list(a.enums)))
                return f"getCaption({e(enum, d)[0]})", PRIM_
            if pick == 6:
                return f"substring({e(STRING, d)[0]}, 0, {a.integer(1, 5)})", PRIM_
            if pick == 7:
                return f"replaceAll({e(STRING, d)[0]}, 'a', 'b')", PRIM_
            return None
        if ty == INTEGER:
            pick = a.integer(0, 6)
            if pick == 0:
                op = a.choice(["+", "-"])
                return f"{wrap(e(INTEGER, d), ADD_)} {op} {wrap(e(INTEGER, d), MUL_)}", ADD_
            if pick == 1:
                return f"{wrap(e(INTEGER, d), MUL_)} * {wrap(e(INTEGER, d), UNARY_)}", MUL_
            if pick == 2:
                return f"-{wrap(e(INTEGER, d), UNARY_)}", UNARY_
            if pick == 3:
                return f"length({e(STRING, d)[0]})", PRIM_
            if pick == 4:
                lists = self.lists()
                return (f"count(${a.choice(lists)[0]})", PRIM_) if lists else None
            if pick == 5:
                return f"find({e(STRING, d)[0]}, 'a')", PRIM_
            return f"parseInteger('{a.integer(0, 999)}')", PRIM_
        if ty == LONG:
            pick = a.integer(0, 2)
            if pick == 0:
                left, right = e(LONG, d, exact), e(a.choice([INTEGER, LONG]), d)
                op = a.choice(["+", "-"])
                return f"{wrap(left, ADD_)} {op} {wrap(right, MUL_)}", ADD_
            if pick == 1:
                return f"{wrap(e(LONG, d, exact), MUL_)} * {wrap(e(INTEGER, d), UNARY_)}", MUL_
            return f"-{wrap(e(LONG, d, exact), UNARY_)}", UNARY_
        if ty == DECIMAL:
            pick = a.integer(0, 8)
            if pick == 0:
                op = a.choice(["+", "-"])
                right = e(a.choice(NUMERIC), d)
                return f"{wrap(e(DECIMAL, d, exact), ADD_)} {op} {wrap(right, MUL_)}", ADD_
            if pick == 1:
                right = e(a.choice(NUMERIC), d)
                return f"{wrap(e(DECIMAL, d, exact), MUL_)} * {wrap(right, UNARY_)}", MUL_
            if pick == 2:
                op = a.choice(["div", ":"])
                left, right = e(a.choice(NUMERIC), d), e(a.choice(NUMERIC), d)
                return f"{wrap(left, MUL_)} {op} {wrap(right, UNARY_)}", MUL_
            if pick == 3:
                return f"round({e(DECIMAL, d, exact)[0]}, {a.integer(0, 4)})", PRIM_
            if pick == 4:
                return f"-{wrap(e(DECIMAL, d, exact), UNARY_)}", UNARY_
            if pick == 5:
                return f"parseDecimal('{a.integer(0, 99)}.{a.integer(0, 99)}')", PRIM_
            if pick in (6, 7):
                return self._aggregate(d)
            if not exact:
                return f"{wrap(e(INTEGER, d), MUL_)} mod {wrap(e(INTEGER, d), UNARY_)}", MUL_
            return None
        if ty == BOOLEAN:
            return self._boolean(d)
        if ty == DATETIME:
            pick = a.integer(0, 1)
            if pick == 0:
                fn = a.choice(["addDays", "addHours", "addMinutes", "addMonths"])
                return f"{fn}({e(DATETIME, d)[0]}, {e(INTEGER, d)[0]})", PRIM_
            return None
        if ty.kind == OBJ:
            lists = self.lists(ty.name)
            if not lists:
                return None
            var = a.choice(lists)[0]
            attr = self._attr_of(ty.name, STRING)
            if attr is not None and a.chance(0.5):
                return f"find(${var}, {attr.name}, {e(STRING, d)[0]})", PRIM_
            return f"head(${var})", PRIM_
        if ty.kind == LIST:
            return self._list_expr(ty, d)
        return None

    def _aggregate(self, d: int) -> tuple[str, int] | None:
        a = self.app
        options = [
            (var, ent, attr)
            for var, ent in self.lists()
            for attr in a.all_attrs(ent)
            if attr.ty == DECIMAL
        ]
        if not options:
            return None
        var, ent, attr = a.choice(options)
        pick = a.integer(0, 4)
        if pick == 4:
            body = self._with_lambda(
                {"currentObject": Ty(OBJ, ent), "currentResult": DECIMAL},
                lambda: f"$currentResult + $currentObject/{attr.name}",
            )
            return f"reduce(${var}, 0.0, {body})", PRIM_
        fn = ("sum", "average", "minimum", "maximum")[pick]
        return f"{fn}(${var}, {attr.name})", PRIM_

    def _boolean(self, d: int) -> tuple[str, int] | None:
        a = self.app
        e = self.expr
        pick = a.integer(0, 11)
        if pick in (0, 1):
            left, right = e(a.choice(NUMERIC), d), e(a.choice(NUMERIC), d)
            op = a.choice(["=", "!=", "<", ">", "<=", ">="])
            return f"{wrap(left, ADD_)} {op} {wrap(right, ADD_)}", CMP_
        if pick == 2:
            op = a.choice(["<", ">", "<=", ">=", "="])
            return f"{wrap(e(DATETIME, d), ADD_)} {op} {wrap(e(DATETIME, d), ADD_)}", CMP_
        if pick == 3:
            kinds = [STRING, BOOLEAN] + [Ty(ENUM, n) for n in a.enums]
            ty = a.choice(kinds[: 3 if a.enums else 2] if a.chance(0.5) else kinds)
            op = a.choice(["=", "!="])
            right = e(ty, d) if a.chance(0.8) else ("empty", PRIM_)
            return f"{wrap(e(ty, d), ADD_)} {op} {wrap(right, ADD_)}", CMP_
        if pick == 4:
            left = e(BOOLEAN, d)
            return f"{wrap(left, AND_)} and {wrap(e(BOOLEAN, d), CMP_)}", AND_
        if pick == 5:
            return f"{wrap(e(BOOLEAN, d), OR_)} or {wrap(e(BOOLEAN, d), AND_)}", OR_
        if pick == 6:
            return f"not({e(BOOLEAN, d)[0]})", PRIM_
        if pick == 7:
            fn = a.choice(["contains", "startsWith", "endsWith"])
            return f"{fn}({e(STRING, d)[0]}, '{a.choice(['a', 'x', 'Ord'])}')", PRIM_
        if pick == 8:
            objects = self.objects()
            if not objects:
                return None
            var, entity = a.choice(objects)
            if a.chance(0.3):
                refs = [x for x in a._owned_assocs(entity) if not x.many]
                if refs:
                    return f"${var}/{a.q(a.choice(refs).name)} != empty", CMP_
            return f"${var} {a.choice(['=', '!='])} empty", CMP_
        if pick == 9:
            if not a.enums:
                return None
            enum = a.choice(list(a.enums))
            path = self.member_path(Ty(ENUM, enum))
            if path is None:
                return None
            return f"{path[0]} = '{a.choice(a.enums[enum].values)}'", CMP_
        if pick == 10:
            lists = self.lists()
            if not lists:
                return None
            var, ent = a.choice(lists)
            fn = a.choice(["any", "all"])
            body = self._with_lambda(
                {"currentObject": Ty(OBJ, ent)}, lambda: self.expr(BOOLEAN, min(d, 1))[0]
            )
            return f"{fn}(${var}, {body})", PRIM_
        lists = self.lists()
        if not lists:
            return None
        return f"isEmpty(${a.choice(lists)[0]})", PRIM_

    def _list_expr(self, ty: Ty, d: int) -> tuple[str, int] | None:
        a = self.app
        lists = self.lists(ty.name)
        if not lists:
            return None
        var = a.choice(lists)[0]
        pick = a.integer(0, 4)
        if pick == 0:
            attr = self._attr_of(ty.name)
            if attr is None:
                return None
            return f"sort(${var}, {attr.name} {a.choice(['asc', 'desc'])})", PRIM_
        if pick == 1:
            attr = self._attr_of(ty.name)
            if attr is None or attr.ty is None:
                return None
            return f"filter(${var}, {attr.name}, {self.expr(attr.ty, min(d, 1))[0]})", PRIM_
        if pick == 2:
            body = self._with_lambda(
                {"currentObject": Ty(OBJ, ty.name)}, lambda: self.expr(BOOLEAN, min(d, 1))[0]
            )
            return f"filterWhere(${var}, {body})", PRIM_
        if pick == 3:
            fn = a.choice(["union", "intersect", "subtract"])
            return f"{fn}(${var}, ${a.choice(lists)[0]})", PRIM_
        return f"tail(${var})", PRIM_

    def value(self, ty: Ty, exact: bool = False) -> str:
        """A whole value (any precedence) of type `ty`."""
        return self.expr(ty, self.app.sizes.expr_depth, exact)[0]

    def condition(self) -> str:
        return wrap(self.expr(BOOLEAN, self.app.sizes.expr_depth), OR_)

    def xp_value(self, ty: Ty) -> str | None:
        """A variable or `$o/Attr` usable as an XPath operand of type `ty`."""
        a = self.app
        names = [v.name for v in self.visible() if v.ty == ty]
        if names and a.chance(0.5):
            return f"${a.choice(names)}"
        paths = [
            f"${v.name}/{attr.name}"
            for v in self.visible()
            if v.ty.kind == OBJ
            for attr in a.all_attrs(v.ty.name)
            if attr.ty == ty
        ]
        if paths:
            return a.choice(paths)
        return f"${a.choice(names)}" if names else None

    def xp_id(self, entity: str) -> str | None:
        var = self.var_of(Ty(OBJ, entity), xpath=True)
        return f"id = ${var}" if var is not None and self.app.chance(0.5) else None

    # -- obtaining values for statements --

    def ensure(self, ty: Ty) -> str:
        """A variable of object or list type `ty`, writing a retrieve or create if needed."""
        names = [v.name for v in self.visible() if self.app.fits(v.ty, ty)]
        if names and self.app.chance(0.85):
            return self.app.choice(names)
        name = self.fresh(self.base_name(ty))
        if ty.kind == OBJ:
            if self.app.chance(0.5):
                self.emit(f"${name} = retrieve first {self.app.q(ty.name)}{self._where(ty.name)}")
            else:
                self.emit(f"${name} = create {self.app.q(ty.name)}{self._assignments(ty.name)}")
        else:
            if self.app.chance(0.5):
                self.emit(f"${name} = retrieve {self.app.q(ty.name)}{self._where(ty.name)}")
            else:
                self.emit(f"${name} = create list of {self.app.q(ty.name)}")
        self.declare(name, ty)
        return name

    def arg_value(self, ty: Ty) -> str:
        if ty.kind in (OBJ, LIST):
            return f"${self.ensure(ty)}"
        return self.value(ty)

    def _where(self, entity: str) -> str:
        if self.app.chance(0.6):
            return " where " + self.app.xpath(entity, self, self.app.integer(0, 2))
        return ""

    def _assignments(self, entity: str, require: bool = True, allow_empty: bool = True) -> str:
        a = self.app
        attrs = [x for x in a.all_attrs(entity) if x.settable]
        chosen = [x for x in attrs if x.required] if require else []
        rest = [x for x in attrs if x not in chosen]
        chosen += a.sample(rest, a.integer(0 if allow_empty else 1, min(3, len(rest))))
        parts = []
        for attr in chosen:
            assert attr.ty is not None
            parts.append(f"{attr.name} = {self.value(attr.ty)}")
        for assoc in a._owned_assocs(entity):
            if not a.chance(0.25):
                continue
            if assoc.many:
                parts.append(f"{a.q(assoc.name)} = ${self.ensure(Ty(LIST, assoc.target))}")
            else:
                parts.append(f"{a.q(assoc.name)} = ${self.ensure(Ty(OBJ, assoc.target))}")
        if not parts:
            return " ()" if allow_empty and a.chance(0.3) else ""
        return f" ({', '.join(parts)})"

    # -- the body --

    def body(self, handled: EntityDef | None) -> None:
        """The whole flow body, closing with a return when the flow has a return type."""
        a = self.app
        self.indent += 1
        if handled is not None:
            self._handler_body(handled)
            self.indent -= 1
            return
        for _ in range(a.integer(0, 3)):
            self.stmt_declare()
        count = a.pick_range(a.sizes.top_statements)
        self.statements(count, a.sizes.depth)
        if self.sig.returns is not None:
            self.emit(f"return {self.return_value()}")
        self.indent -= 1

    def _handler_body(self, ent: EntityDef) -> None:
        var = self.sig.params[0][0]
        settable = [x for x in self.app.all_attrs(ent.name) if x.settable]
        if settable:
            attr = self.app.choice(settable)
            assert attr.ty is not None
            self.emit(f"change ${var} ({attr.name} = {self.value(attr.ty)})")
        self.statements(self.app.integer(0, 3), 1)
        if self.sig.returns is not None:
            self.emit(f"return {self.condition()}")

    def return_value(self) -> str:
        ty = self.sig.returns
        assert ty is not None
        if ty.kind in (OBJ, LIST):
            if self.in_handler and self.app.chance(0.5):
                return "empty"
            return f"${self.ensure(ty)}"
        return self.value(ty)

    def statements(self, count: int, depth: int) -> None:
        for _ in range(count):
            if len(self.lines) > self.app.sizes.flow_lines:
                return
            self.statement(depth)

    def nested(self, depth: int, terminal: bool) -> None:
        """The statements of a nested block, maybe ending in return/raise/break/continue."""
        a = self.app
        self.statements(a.pick_range(a.sizes.nested_statements), depth)
        if terminal and a.chance(0.3):
            self.terminal()

    def terminal(self) -> None:
        a = self.app
        options = ["return", "raise"]
        if self.loop_depth:
            options += ["break", "continue", "break"]
        kind = a.choice(options)
        if kind == "return":
            if self.sig.returns is None:
                self.emit("return")
            else:
                self.emit(f"return {self.return_value()}")
        elif kind == "raise":
            if self.in_handler and a.chance(0.5):
                self.emit("raise")
            else:
                self.emit(f"raise {self.value(STRING)}")
        else:
            self.emit(kind)

    def statement(self, depth: int) -> None:
        a = self.app
        simple: list[Callable[[], bool]] = [
            self.stmt_declare,
            self.stmt_set,
            self.stmt_create,
            self.stmt_change,
            self.stmt_commit,
            self.stmt_retrieve,
            self.stmt_retrieve_assoc,
            self.stmt_list,
            self.stmt_call,
        ]
        if self.nano:
            simple += [self.stmt_client, self.stmt_client, self.stmt_sync]
        else:
            simple += [self.stmt_sync_to_device]
        compound: list[Callable[[int], bool]] = [
            self.stmt_if,
            self.stmt_if,
            self.stmt_switch,
            self.stmt_for,
            self.stmt_while,
            self.stmt_switch_type,
            self.stmt_switch_type,
        ]
        for _ in range(4):
            if depth > 0 and a.chance(0.3):
                if a.choice(compound)(depth - 1):
                    return
            elif a.choice(simple)():
                return
        self.stmt_declare()

    def handler(self) -> None:
        """Maybe an error handler after the statement just written."""
        a = self.app
        if not a.chance(0.12):
            return
        if not self.nano and a.chance(0.4):
            self.append(" on error continue")
            return
        self.append(" on error {")
        saved = self.loop_depth, self.in_handler
        self.loop_depth, self.in_handler = 0, True
        with self.block():
            if self.nano:
                level = a.choice(["warning", "error"])
                self.emit(f"log {level} '{a.choice(['Failed: ', 'Error: '])}' + $latestError")
                if a.chance(0.3):
                    self.emit(f"show message error {self.value(STRING)}")
            else:
                self.statements(a.integer(0, 1), 0)
            if a.chance(0.5):
                self.terminal()
        self.loop_depth, self.in_handler = saved

    # -- simple statements --

    def stmt_declare(self) -> bool:
        a = self.app
        ty = a._random_type(primitive_only=a.chance(0.7))
        name = self.fresh(self.base_name(ty))
        mutable = ty.kind != OBJ
        if ty.kind == LIST:
            self.emit(f"declare ${name}: {a.type_text(ty)}")
        elif ty.kind == OBJ:
            pick = a.integer(0, 2)
            if pick == 0:
                self.emit(f"declare ${name}: {a.type_text(ty)}")
            else:
                self.emit(f"declare ${name}: {a.type_text(ty)} = {self.arg_value(ty)}")
        else:
            pick = a.integer(0, 5)
            if pick == 0:
                self.emit(f"declare ${name}: {a.type_text(ty)}")
            elif pick == 1 and ty != LONG:
                self.emit(f"declare ${name} = {self.value(ty, exact=True)}")
            else:
                self.emit(f"declare ${name}: {a.type_text(ty)} = {self.value(ty)}")
        self.declare(name, ty, mutable)
        return True

    def stmt_set(self) -> bool:
        targets = [v for v in self.visible() if v.mutable]
        if not targets:
            return False
        var = self.app.choice(targets)
        if var.ty.kind == LIST:
            value = self._list_expr(var.ty, 1) or (f"${self.ensure(var.ty)}", PRIM_)
            self.emit(f"set ${var.name} = {value[0]}")
        else:
            self.emit(f"set ${var.name} = {self.value(var.ty)}")
        self.handler()
        return True

    def _entity(self) -> str:
        return self.app.choice(list(self.app.entities))

    def stmt_create(self) -> bool:
        a = self.app
        entity = self._entity()
        name = self.fresh(self.base_name(Ty(OBJ, entity)))
        self.emit(f"${name} = create {a.q(entity)}{self._assignments(entity)}")
        self.handler()
        self.declare(name, Ty(OBJ, entity))
        if a.chance(0.5):
            self.emit(f"commit ${name}")
            self.handler()
        return True

    def stmt_change(self) -> bool:
        objects = [(v, e) for v, e in self.objects() if v not in self.lambda_vars]
        if not objects:
            return False
        var, entity = self.app.choice(objects)
        self.emit(f"change ${var}{self._assignments(entity, require=False, allow_empty=False)}")
        self.handler()
        return True

    def stmt_commit(self) -> bool:
        a = self.app
        targets = [v for v in self.visible() if v.ty.kind in (OBJ, LIST)]
        if not targets:
            return False
        var = a.choice(targets)
        verb = a.choice(["commit", "commit", "commit", "rollback", "delete"])
        if verb == "rollback" and var.ty.kind == LIST:
            verb = "commit"
        self.emit(f"{verb} ${var.name}")
        self.handler()
        return True

    def stmt_retrieve(self) -> bool:
        a = self.app
        entity = self._entity()
        first = a.chance(0.4)
        ty = Ty(OBJ if first else LIST, entity)
        name = self.fresh(self.base_name(ty))
        text = f"${name} = retrieve {'first ' if first else ''}{a.q(entity)}{self._where(entity)}"
        attrs = [x for x in a.all_attrs(entity) if x.ty is not None]
        if attrs and a.chance(0.4):
            items = [
                x.name + a.choice(["", " asc", " desc"]) for x in a.sample(attrs, a.integer(1, 2))
            ]
            text += " sort by " + ", ".join(items)
        if not first and a.chance(0.3):
            text += f" limit {self.value(INTEGER)}"
            if a.chance(0.5):
                text += f" offset {self.value(INTEGER)}"
        self.emit(text)
        self.handler()
        self.declare(name, ty)
        return True

    def stmt_retrieve_assoc(self) -> bool:
        a = self.app
        options: list[tuple[str, AssocDef, Ty]] = []
        for var, entity in self.objects():
            if var in self.lambda_vars:
                continue
            for assoc in a.assocs:
                if assoc.source == entity:
                    kind = LIST if assoc.many else OBJ
                    options.append((var, assoc, Ty(kind, assoc.target)))
                if assoc.target == entity:
                    options.append((var, assoc, Ty(LIST, assoc.source)))
        if not options:
            return False
        var, assoc, ty = a.choice(options)
        name = self.fresh(self.base_name(ty))
        text = f"${name} = retrieve ${var}/{a.q(assoc.name)}"
        if ty.kind == LIST and a.chance(0.3):
            text += " where " + a.xpath(ty.name, self, 1)
        self.emit(text)
        self.handler()
        self.declare(name, ty)
        return True

    def stmt_list(self) -> bool:
        a = self.app
        lists = [v for v in self.visible() if v.ty.kind == LIST]
        if not lists or a.chance(0.2):
            entity = self._entity()
            name = self.fresh(self.base_name(Ty(LIST, entity)))
            self.emit(f"${name} = create list of {a.q(entity)}")
            self.handler()
            self.declare(name, Ty(LIST, entity))
            return True
        target = a.choice(lists)
        pick = a.integer(0, 4)
        if pick == 4:
            self.emit(f"clear ${target.name}")
        else:
            item_ty = Ty(LIST if a.chance(0.2) else OBJ, target.ty.name)
            item = self.ensure(item_ty)
            verb, prep = ("remove", "from") if pick == 3 else ("add", "to")
            self.emit(f"{verb} ${item} {prep} ${target.name}")
        self.handler()
        return True

    def stmt_call(self) -> bool:
        a = self.app
        if not self.callees:
            return False
        callee = a.choice(self.callees)
        args = [f"{name} = {self.arg_value(ty)}" for name, ty in callee.params]
        args = a.sample(args, len(args)) if a.chance(0.3) else args
        text = f"call {callee.kind} {a.q(callee.name)}({', '.join(args)})"
        output: str | None = None
        if callee.returns is not None and a.chance(0.85):
            output = self.fresh(self.base_name(callee.returns))
            text = f"${output} = {text}"
        self.emit(text)
        self.handler()
        if output is not None and callee.returns is not None:
            self.declare(output, callee.returns)
        return True

    def stmt_client(self) -> bool:
        a = self.app
        pick = a.integer(0, 5)
        if pick == 0:
            kind = a.choice(["info", "warning", "error"])
            blocking = " blocking" if a.chance(0.2) else ""
            self.emit(f"show message {kind} {self.value(STRING)}{blocking}")
        elif pick == 1 and a.pages:
            page = a.choice(a.pages)
            args = ", ".join(f"{n} = {self.arg_value(t)}" for n, t in page.params)
            self.emit(f"show page {a.q(page.name)}({args})")
        elif pick == 2:
            self.emit("close page" + (f" {a.integer(1, 3)}" if a.chance(0.3) else ""))
        elif pick == 3:
            objects = [(v, e) for v, e in self.objects() if v not in self.lambda_vars]
            attrs = [(v, x) for v, e in objects for x in a.all_attrs(e) if x.ty is not None]
            if not attrs:
                return False
            var, attr = a.choice(attrs)
            self.emit(f"validation feedback ${var}/{attr.name} {self.value(STRING)}")
        else:
            level = a.choice(["trace", "debug", "info", "warning", "error", "critical"])
            node = f" node '{a.choice(['Sync', 'Orders', 'UI'])}'" if a.chance(0.3) else ""
            self.emit(f"log {level}{node} {self.value(STRING)}")
        self.handler()
        return True

    def stmt_sync(self) -> bool:
        a = self.app
        pick = a.integer(0, 6)
        if pick <= 1:
            self.emit("synchronize all")
        elif pick == 2:
            self.emit("synchronize unsynchronized")
        elif pick == 3:
            targets = [v.name for v in self.visible() if v.ty.kind in (OBJ, LIST)]
            if not targets:
                return False
            chosen = a.sample(targets, a.integer(1, min(3, len(targets))))
            self.emit("synchronize " + ", ".join(f"${t}" for t in chosen))
        elif pick == 4:
            self.emit("cancel synchronization")
        elif pick == 5:
            self.emit(f"clear from device {a.q(self._entity())}")
        else:
            self.emit("synchronize all on error {")
            saved = self.loop_depth, self.in_handler
            self.loop_depth, self.in_handler = 0, True
            with self.block():
                self.emit("log warning 'Could not synchronize: ' + $latestError")
                if a.chance(0.5):
                    self.terminal()
            self.loop_depth, self.in_handler = saved
            return True
        self.handler()
        return True

    def stmt_sync_to_device(self) -> bool:
        targets = [v.name for v in self.visible() if v.ty.kind in (OBJ, LIST)]
        if not targets or not self.app.chance(0.3):
            return False
        self.emit(f"synchronize to device ${self.app.choice(targets)}")
        self.handler()
        return True

    # -- compound statements --

    def stmt_if(self, depth: int) -> bool:
        a = self.app
        branches = 1 + (a.integer(0, 2) if a.chance(0.4) else 0)
        has_else = a.chance(0.5)
        self.emit(f"if {self.condition()} {{")
        for i in range(branches):
            last = i == branches - 1 and not has_else
            with self.block():
                self.nested(depth, terminal=not last or a.chance(0.5))
            if i < branches - 1:
                self.lines.pop()
                self.emit(f"}} else if {self.condition()} {{")
        if has_else:
            self.lines.pop()
            self.emit("} else {")
            with self.block():
                self.nested(depth, terminal=False)
        self.handler()
        return True

    def stmt_switch(self, depth: int) -> bool:
        a = self.app
        subjects: list[tuple[str, Ty]] = []
        for enum in a.enums:
            ty = Ty(ENUM, enum)
            subjects += [(f"${n}", ty) for n in self.vars_of(ty, exact=True)]
            path = self.member_path(ty, exact=True)
            if path is not None:
                subjects.append((path[0], ty))
        if a.chance(0.2):
            subjects.append((self.condition(), BOOLEAN))
        if not subjects:
            return False
        subject, ty = a.choice(subjects)
        self.emit(f"switch {subject} {{")
        self.indent += 1
        if ty == BOOLEAN:
            groups = [["true"], ["false"]] if a.chance(0.5) else [["true"]]
            use_else = len(groups) == 1 or a.chance(0.3)
        else:
            values = a.sample(a.enums[ty.name].values, len(a.enums[ty.name].values))
            use_else = a.chance(0.3)
            if use_else:
                values = values[: a.integer(1, len(values))]
            elif a.chance(0.9):
                values.append("empty")
            else:
                use_else = True
            groups = []
            while values:
                take = a.integer(1, min(2, len(values)))
                groups.append(values[:take])
                values = values[take:]
        for i, group in enumerate(groups):
            self.emit(f"case {', '.join(group)} {{")
            last = i == len(groups) - 1 and not use_else
            with self.block():
                self.nested(depth, terminal=not last)
        if use_else:
            self.emit("else {")
            with self.block():
                self.nested(depth, terminal=False)
        self.indent -= 1
        self.emit("}")
        self.handler()
        return True

    def stmt_switch_type(self, depth: int) -> bool:
        a = self.app
        options = [
            (v, e) for v, e in self.objects() if v not in self.lambda_vars and a.descendants(e)
        ]
        if not options:
            return False
        var, entity = a.choice(options)
        kids = a.descendants(entity)
        self.emit(f"switch type ${var} {{")
        self.indent += 1
        for kid in a.sample(kids, a.integer(1, len(kids))):
            self.emit(f"case {a.q(kid)} {{")
            with self.block():
                name = self.fresh(self.base_name(Ty(OBJ, kid)))
                self.emit(f"${name} = cast ${var} to {a.q(kid)}")
                self.declare(name, Ty(OBJ, kid))
                self.nested(depth, terminal=True)
        if a.chance(0.5):
            self.emit("case empty {")
            with self.block():
                self.nested(depth, terminal=True)
        if a.chance(0.5):
            self.emit("else {")
            with self.block():
                self.nested(depth, terminal=False)
        self.indent -= 1
        self.emit("}")
        self.handler()
        return True

    def stmt_for(self, depth: int) -> bool:
        a = self.app
        lists = [v for v in self.visible() if v.ty.kind == LIST]
        if lists and a.chance(0.8):
            source = a.choice(lists)
            entity = source.ty.name
            iterable = f"${source.name}"
            if a.chance(0.2):
                alt = self._list_expr(source.ty, 0)
                iterable = alt[0] if alt is not None else iterable
        else:
            entity = self._entity()
            iterable = f"${self.ensure(Ty(LIST, entity))}"
        name = self.fresh(_lower_first(entity) + "Item")
        self.emit(f"for ${name} in {iterable} {{")
        self.loop_depth += 1
        with self.block():
            self.declare(name, Ty(OBJ, entity))
            self.nested(depth, terminal=False)
        self.loop_depth -= 1
        return True

    def stmt_while(self, depth: int) -> bool:
        a = self.app
        counter = self.fresh("i")
        self.emit(f"declare ${counter}: Integer = 0")
        self.declare(counter, INTEGER)
        cond = f"${counter} < {a.integer(1, 20)}"
        if a.chance(0.3):
            cond += f" and {wrap(self.expr(BOOLEAN, 1), CMP_)}"
        self.emit(f"while {cond} {{")
        self.loop_depth += 1
        with self.block():
            self.emit(f"set ${counter} = ${counter} + 1")
            self.nested(depth, terminal=False)
        self.loop_depth -= 1
        return True


# ---- entry points -----------------------------------------------------------------------------


def sizes_for_lines(lines: int) -> Sizes:
    """Domain-model sizes that suit an app of about `lines` lines."""
    entities = max(3, min(60, lines // 400))
    enums = max(2, min(30, lines // 900))
    return Sizes(
        enums=(enums, enums),
        entities=(entities, entities),
        roles=(2, 4),
        top_statements=(4, 10),
        nested_statements=(1, 4),
        depth=3,
        expr_depth=2,
        params=(0, 3),
        target_lines=lines,
        min_specializations=2,
    )


def generate_app(lines: int, seed: int) -> str:
    """A deterministic, type-correct app (module `Sales`) of about `lines` lines."""
    return AppGenerator(RandomChooser(seed), sizes_for_lines(lines)).generate()


if __name__ == "__main__":  # pragma: no cover - manual inspection
    import sys

    print(generate_app(int(sys.argv[1]) if len(sys.argv) > 1 else 200, 1))
