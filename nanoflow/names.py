"""The name table: modules, entities (with inherited members), associations (both directions),
enumerations, flows, pages, actions and roles of a whole app, and how names resolve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from nanoflow import ir
from nanoflow import types as t
from nanoflow.codes import Code
from nanoflow.diagnostics import DiagnosticSink
from nanoflow.source import Span

OWNER_ASSOCIATION = "System.owner"
ALIASES = {"System.SynchronizationError": "System.SynchronizationFailure"}

# Words of the grammar that declared names may not use (LANGUAGE.md section 2).
RESERVED = frozenset(
    (
        "module enumeration entity association role access offline nanoflow microflow page "
        "action declare set change commit rollback delete add remove clear if switch for while "
        "break continue return raise call show close validation log synchronize cancel on else "
        "case then and or not div mod true false empty"
    ).split()
)
GRAMMAR_WORDS = RESERVED | frozenset(
    (
        "create retrieve list of to from many where sort by first all index with owner extends "
        "required unique read write nothing preserve never xpath returns allow type in limit "
        "offset asc desc message info warning error trace debug critical blocking node feedback "
        "device unsynchronized synchronization before after"
    ).split()
)


@dataclass(eq=False)
class AttributeInfo:
    name: str
    entity: str
    type: t.Type
    type_name: str
    length: int | None
    required: bool
    unique: bool
    decl: ir.Attribute | None

    @property
    def is_autonumber(self) -> bool:
        return self.type_name == "AutoNumber"


@dataclass(eq=False)
class AssociationInfo:
    qname: str
    module: str
    source: str
    target: str
    many: bool
    decl: ir.Association | None

    def type_from(self, entity_side: str) -> t.Type:
        """The type of following this association from the given end (`source` or `target`)."""
        if entity_side == "source":
            return t.ListType(self.target) if self.many else t.ObjectType(self.target)
        return t.ListType(self.source)


@dataclass(eq=False)
class EntityInfo:
    qname: str
    module: str
    decl: ir.Entity | None
    parent: str | None = None
    with_owner: bool = False
    own_attributes: dict[str, AttributeInfo] = field(default_factory=dict)
    builtin: bool = False
    # filled by `NameTable.finish`
    attributes: dict[str, AttributeInfo] = field(default_factory=dict)
    ancestors: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.qname.split(".", 1)[1]


@dataclass(eq=False)
class EnumInfo:
    qname: str
    module: str
    values: dict[str, str]
    decl: ir.Enumeration | None


@dataclass(eq=False)
class CallableInfo:
    """A nanoflow, microflow, page or action: something called with named arguments."""

    qname: str
    module: str
    kind: str  # nanoflow | microflow | page | action
    parameters: dict[str, t.Type]
    returns: t.Type | None
    decl: ir.Flow | ir.Page | ir.Action


@dataclass(eq=False)
class RoleInfo:
    qname: str
    module: str
    decl: ir.Role | None


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A `help:` line proposing the closest candidate, or ''."""
    pool = list(dict.fromkeys(candidates))
    import difflib  # imported when there is a name to suggest: most runs have none

    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in pool}
        hit = lowered.get(name.lower())
        matches = [hit] if hit else []
    if not matches:
        short = name.rsplit(".", 1)[-1]
        matches = [c for c in pool if c.rsplit(".", 1)[-1] == short][:1]
    return f"did you mean `{matches[0]}`?" if matches else ""


class NameTable:
    """Every declared name of an app, resolved per module."""

    def __init__(self, sink: DiagnosticSink) -> None:
        self.sink = sink
        self.modules: set[str] = set()
        self.builtin_modules: set[str] = set()
        self.entities: dict[str, EntityInfo] = {}
        self.enums: dict[str, EnumInfo] = {}
        self.associations: dict[str, AssociationInfo] = {}
        self.callables: dict[str, CallableInfo] = {}
        self.roles: dict[str, RoleInfo] = {}
        self.access_rules: list[tuple[str, ir.AccessRule]] = []
        self.offline: dict[str, ir.OfflineEntry] = {}
        self.offline_decls: list[tuple[str, ir.OfflineProfile]] = []
        self.flows: list[tuple[str, ir.Flow]] = []
        # per entity: associations whose owner (source) or target is the entity (or an ancestor)
        self.assoc_by_source: dict[str, list[AssociationInfo]] = {}
        self.assoc_by_target: dict[str, list[AssociationInfo]] = {}
        self._type_names: dict[str, Span] = {}
        self._doc_names: dict[str, Span] = {}

    # ---- building --------------------------------------------------------------------------

    def _check_name(self, ident: ir.Ident, what: str) -> None:
        if ident.text in GRAMMAR_WORDS:
            self.sink.error(
                Code.RESERVED_NAME,
                f"`{ident.text}` is a word of the language and cannot name {what}",
                ident.span,
                label="choose another name",
            )
        elif ident.text in t.TYPE_NAMES and what in ("an entity", "an enumeration"):
            self.sink.error(
                Code.RESERVED_NAME,
                f"`{ident.text}` is a type name and cannot name {what}",
                ident.span,
                label="choose another name",
            )

    def _claim(self, table: dict[str, Span], qname: str, ident: ir.Ident, what: str) -> bool:
        previous = table.get(qname)
        if previous is not None:
            self.sink.error(
                Code.DUPLICATE_DECLARATION,
                f"`{qname}` is declared twice",
                ident.span,
                label=f"second declaration of {what}",
                help=f"the first declaration is at "
                f"{previous.file}:{previous.line}:{previous.column}",
            )
            return False
        table[qname] = ident.span
        return True

    def add_file(self, file: ir.ModuleFile, builtin: bool = False) -> None:
        """Declare the names of one parsed file."""
        module = file.module.text
        self.modules.add(module)
        if builtin:
            self.builtin_modules.add(module)
        for decl in file.declarations:
            if isinstance(decl, ir.Entity):
                self._check_name(decl.name, "an entity")
                qname = f"{module}.{decl.name.text}"
                if not self._claim(self._type_names, qname, decl.name, "a type"):
                    continue
                info = EntityInfo(
                    qname,
                    module,
                    decl,
                    with_owner=decl.with_owner,
                    builtin=builtin,
                )
                for attr in decl.attributes:
                    self._check_name(attr.name, "an attribute")
                    if attr.name.text in info.own_attributes:
                        self.sink.error(
                            Code.DUPLICATE_MEMBER,
                            f"attribute `{attr.name.text}` is declared twice in entity `{qname}`",
                            attr.name.span,
                            label="second declaration",
                        )
                        continue
                    info.own_attributes[attr.name.text] = AttributeInfo(
                        attr.name.text,
                        qname,
                        t.ERROR,  # resolved in `finish`
                        attr.type.name.text,
                        attr.type.length,
                        attr.required,
                        attr.unique,
                        attr,
                    )
                self.entities[qname] = info
            elif isinstance(decl, ir.Enumeration):
                self._check_name(decl.name, "an enumeration")
                qname = f"{module}.{decl.name.text}"
                if not self._claim(self._type_names, qname, decl.name, "a type"):
                    continue
                values: dict[str, str] = {}
                for value in decl.values:
                    self._check_name(value.name, "an enumeration value")
                    if value.name.text in values:
                        self.sink.error(
                            Code.DUPLICATE_ENUMERATION_VALUE,
                            f"enumeration value `{value.name.text}` is declared twice in `{qname}`",
                            value.name.span,
                            label="second declaration",
                        )
                    values[value.name.text] = value.caption
                self.enums[qname] = EnumInfo(qname, module, values, decl)
            elif isinstance(decl, ir.Association):
                self._check_name(decl.name, "an association")
                qname = f"{module}.{decl.name.text}"
                if qname in self.associations:
                    self._claim({qname: self.associations[qname].decl.span}, qname, decl.name, "")  # type: ignore[union-attr]
                    continue
                self.associations[qname] = AssociationInfo(
                    qname, module, decl.source.text, decl.target.text, decl.many, decl
                )
            elif isinstance(decl, ir.Role):
                self._check_name(decl.name, "a role")
                qname = f"{module}.{decl.name.text}"
                if qname in self.roles:
                    self._claim({qname: self.roles[qname].decl.span}, qname, decl.name, "a role")  # type: ignore[union-attr]
                    continue
                self.roles[qname] = RoleInfo(qname, module, decl)
            elif isinstance(decl, ir.Flow | ir.Page | ir.Action):
                what = decl.kind if isinstance(decl, ir.Flow) else type(decl).__name__.lower()
                self._check_name(decl.name, f"a {what}")
                qname = f"{module}.{decl.name.text}"
                if not self._claim(self._doc_names, qname, decl.name, f"a {what}"):
                    continue
                returns = getattr(decl, "returns", None)
                self.callables[qname] = CallableInfo(
                    qname,
                    module,
                    what,
                    {},
                    t.NOTHING if returns is None else t.ERROR,
                    decl,
                )
                if isinstance(decl, ir.Flow):
                    self.flows.append((module, decl))
            elif isinstance(decl, ir.AccessRule):
                self.access_rules.append((module, decl))
            elif isinstance(decl, ir.OfflineProfile):
                self.offline_decls.append((module, decl))

    def finish(self) -> None:
        """Resolve what declarations refer to: parents, attribute types, association ends,
        parameter types, offline entries. Reports unknown names in declarations."""
        for alias, real in ALIASES.items():
            if real in self.entities:
                self.entities[alias] = self.entities[real]
        for info in list(self.entities.values()):
            decl = info.decl
            if decl is not None and decl.extends is not None and info.parent is None:
                parent = self.resolve_entity(decl.extends, info.module)
                if parent is not None:
                    info.parent = parent.qname
        for info in self._unique_entities():
            self._link_entity(info)
        for info in self._unique_entities():
            for attr in info.own_attributes.values():
                assert attr.decl is not None
                attr.type = self.resolve_type(attr.decl.type, info.module, attribute=True)
        for info in self._unique_entities():
            chain = [self.entities[a] for a in reversed(info.ancestors)] + [info]
            merged: dict[str, AttributeInfo] = {}
            for part in chain:
                for name, attr in part.own_attributes.items():
                    if name in merged and part is info and attr.decl is not None:
                        self.sink.error(
                            Code.DUPLICATE_MEMBER,
                            f"attribute `{name}` of `{info.qname}` is already inherited from "
                            f"`{merged[name].entity}`",
                            attr.decl.name.span,
                            label="second declaration",
                        )
                        continue
                    merged[name] = attr
            info.attributes = merged
        for assoc in list(self.associations.values()):
            assoc_decl = assoc.decl
            assert assoc_decl is not None
            src = self.resolve_entity(assoc_decl.source, assoc.module)
            dst = self.resolve_entity(assoc_decl.target, assoc.module)
            assoc.source = src.qname if src else "*"
            assoc.target = dst.qname if dst else "*"
            if src:
                self.assoc_by_source.setdefault(src.qname, []).append(assoc)
            if dst:
                self.assoc_by_target.setdefault(dst.qname, []).append(assoc)
        for info in self._unique_entities():
            if info.with_owner:
                owner = AssociationInfo(
                    OWNER_ASSOCIATION, "System", info.qname, "System.User", False, None
                )
                self.assoc_by_source.setdefault(info.qname, []).append(owner)
        for call in self.callables.values():
            params: dict[str, t.Type] = {}
            for param in call.decl.parameters:
                name = param.variable.name
                if name in params:
                    self.sink.error(
                        Code.DUPLICATE_PARAMETER,
                        f"parameter `${name}` is declared twice",
                        param.variable.span,
                        label="second declaration",
                    )
                params[name] = self.resolve_type(param.type, call.module)
            call.parameters = params
            returns = getattr(call.decl, "returns", None)
            if returns is not None:
                call.returns = self.resolve_type(returns, call.module)
        for module, profile in self.offline_decls:
            for entry in profile.entries:
                entity = self.resolve_entity(entry.entity, module)
                if entity is None:
                    continue
                if entity.qname in self.offline:
                    first = self.offline[entity.qname].span
                    self.sink.error(
                        Code.OFFLINE_ENTITY_TWICE,
                        f"entity `{entity.qname}` is listed twice in the offline profile",
                        entry.entity.span,
                        label="second entry",
                        help=f"the first entry is at {first.file}:{first.line}:{first.column}",
                    )
                    continue
                self.offline[entity.qname] = entry

    def _unique_entities(self) -> list[EntityInfo]:
        seen: dict[int, EntityInfo] = {}
        for info in self.entities.values():
            seen.setdefault(id(info), info)
        return list(seen.values())

    def _link_entity(self, info: EntityInfo) -> None:
        chain: list[str] = []
        current = info.parent
        while current is not None:
            if current == info.qname or current in chain:
                decl = info.decl
                assert decl is not None and decl.extends is not None
                through = chain[-1] if chain else current
                self.sink.error(
                    Code.INHERITANCE_CYCLE,
                    f"entity `{info.qname}` extends itself through `{through}`",
                    decl.extends.span,
                    label="inheritance cycle",
                )
                info.parent = None
                chain = []
                break
            chain.append(current)
            current = self.entities[current].parent
        info.ancestors = tuple(chain)

    # ---- resolution ------------------------------------------------------------------------

    def qualify(self, text: str, module: str) -> str:
        return text if "." in text else f"{module}.{text}"

    def _unknown(
        self,
        code: Code,
        what: str,
        ident: ir.Ident,
        candidates: Iterable[str],
        module: str,
        unqualified: Iterable[str] = (),
    ) -> None:
        pool = list(candidates)
        help_text = ""
        if "." in ident.text:
            help_text = suggest(ident.text, pool)
        else:
            others = [c for c in pool if c.rsplit(".", 1)[-1] == ident.text]
            if others:
                help_text = f"names of other modules are qualified: did you mean `{others[0]}`?"
            else:
                local = [c.split(".", 1)[1] for c in pool if c.startswith(module + ".")]
                local.extend(unqualified)
                help_text = suggest(ident.text, local)
        self.sink.error(
            code,
            f"unknown {what} `{ident.text}`",
            ident.span,
            label=f"no {what} of that name",
            help=help_text,
        )

    def resolve_entity(
        self, ident: ir.Ident, module: str, report: bool = True
    ) -> EntityInfo | None:
        info = self.entities.get(self.qualify(ident.text, module))
        if info is None and report:
            self._unknown(Code.UNKNOWN_ENTITY, "entity", ident, self.entities, module)
        return info

    def resolve_enum(self, ident: ir.Ident, module: str) -> EnumInfo | None:
        return self.enums.get(self.qualify(ident.text, module))

    def resolve_callable(
        self, ident: ir.Ident, module: str, kinds: tuple[str, ...], what: str, code: Code
    ) -> CallableInfo | None:
        info = self.callables.get(self.qualify(ident.text, module))
        if info is None or info.kind not in kinds:
            pool = [q for q, c in self.callables.items() if c.kind in kinds]
            if info is not None:
                self.sink.error(
                    code,
                    f"`{info.qname}` is a {info.kind}, not a {what}",
                    ident.span,
                    label=f"expected a {what}",
                    help=f"call it with `call {info.kind}`" if info.kind != "page" else "",
                )
            else:
                self._unknown(code, what, ident, pool, module)
            return None
        return info

    def resolve_role(self, ident: ir.Ident, module: str) -> RoleInfo | None:
        info = self.roles.get(self.qualify(ident.text, module))
        if info is None:
            self._unknown(Code.UNKNOWN_ROLE, "role", ident, self.roles, module)
        return info

    def resolve_type(self, ref: ir.TypeRef, module: str, attribute: bool = False) -> t.Type:
        """The type a type reference names; unknown names are reported and give `error`."""
        if isinstance(ref, ir.ListTypeRef):
            if ref.entity.text == "Object" and module in self.builtin_modules:
                return t.ANY_LIST
            entity = self.resolve_entity(ref.entity, module)
            return t.ListType(entity.qname) if entity else t.ERROR
        text = ref.name.text
        if text in t.PRIMITIVE_NAMES:
            if ref.length is not None and text != "String":
                self.sink.error(
                    Code.VALUE_TYPE,
                    f"only String takes a length, not `{text}`",
                    ref.span,
                    label="remove the length",
                )
            return t.primitive(text)
        if text == "Object" and module in self.builtin_modules:
            return t.ANY_OBJECT
        enum = self.resolve_enum(ref.name, module)
        if enum is not None:
            return t.EnumType(enum.qname)
        entity = self.entities.get(self.qualify(text, module))
        if entity is not None:
            if attribute:
                self.sink.error(
                    Code.UNKNOWN_TYPE,
                    f"`{entity.qname}` is an entity; attributes have primitive or enumeration "
                    "types",
                    ref.name.span,
                    label="not an attribute type",
                    help="use an association to link entities",
                )
                return t.ERROR
            return t.ObjectType(entity.qname)
        pool = [*self.enums] + ([] if attribute else list(self.entities))
        self._unknown(Code.UNKNOWN_TYPE, "type", ref.name, pool, module, t.PRIMITIVE_NAMES)
        return t.ERROR

    def is_a(self, entity: str, ancestor: str) -> bool:
        """True when `entity` is `ancestor` or specializes it."""
        if entity == ancestor or ancestor == "*" or entity == "*":
            return True
        info = self.entities.get(entity)
        return info is not None and ancestor in info.ancestors

    def find_association(
        self, ident: ir.Ident, module: str, entity: str
    ) -> tuple[AssociationInfo, str] | None:
        """An association reachable from an entity by this name, and which end the entity is."""
        text = ident.text
        candidates = {text, self.qualify(text, module)}
        info = self.entities.get(entity)
        lineage = (entity, *info.ancestors) if info else (entity,)
        for name in lineage:
            for assoc in self.assoc_by_source.get(name, ()):
                if assoc.qname in candidates:
                    return assoc, "source"
        for name in lineage:
            for assoc in self.assoc_by_target.get(name, ()):
                if assoc.qname in candidates:
                    return assoc, "target"
        return None

    def member_names(self, entity: str) -> list[str]:
        """Attribute and association names usable on an entity, for did-you-mean."""
        info = self.entities.get(entity)
        if info is None:
            return []
        names = list(info.attributes)
        for name in (entity, *info.ancestors):
            for assoc in self.assoc_by_source.get(name, ()):
                names.append(assoc.qname)
                names.append(assoc.qname.split(".", 1)[1])
            for assoc in self.assoc_by_target.get(name, ()):
                names.append(assoc.qname)
        return names

    def specializations(self, entity: str) -> list[str]:
        return [q for q, i in self.entities.items() if entity in i.ancestors and q not in ALIASES]
