"""The model fingerprint (SYNC.md 1a): a hash of a canonical JSON description of the domain
model, the access rules and the offline profile (not the flows), and the comparison of two
descriptions into compatible and incompatible differences.

Pure Python with no database: the sync server can use the same functions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nanoflow import ir
from nanoflow import types as t
from nanoflow.names import ALIASES, OWNER_ASSOCIATION, NameTable

DESCRIPTION_FORMAT = 1


def canonical(node: Any) -> Any:
    """An IR node (or value) as JSON data without source spans."""
    if isinstance(node, ir.Node):
        data: dict[str, Any] = {"node": type(node).__name__}
        for name in ir.fields(node):
            if name != "span":
                data[name] = canonical(getattr(node, name))
        return data
    if isinstance(node, tuple | list):
        return [canonical(item) for item in node]
    if isinstance(node, Decimal):
        return str(node)
    return node


def _default(attr_decl: ir.Attribute | None) -> Any:
    if attr_decl is None or attr_decl.default is None:
        return None
    return canonical(attr_decl.default)


def describe(names: NameTable) -> dict[str, Any]:
    """The canonical description of an app's model: entities, enumerations, associations,
    roles, access rules and the offline profile."""
    entities: dict[str, Any] = {}
    for qname, info in sorted(names.entities.items()):
        if qname in ALIASES:
            continue
        attributes = {}
        for name, attr in info.own_attributes.items():
            type_text = attr.type.enum if isinstance(attr.type, t.EnumType) else attr.type_name
            attributes[name] = {
                "type": type_text,
                "length": attr.length,
                "default": _default(attr.decl),
                "required": attr.required,
                "unique": attr.unique,
            }
        decl = info.decl
        entities[qname] = {
            "parent": info.parent,
            "owner": info.with_owner,
            "attributes": attributes,
            "indexes": [[i.text for i in ix.attributes] for ix in decl.indexes] if decl else [],
            "handlers": [
                [h.moment, h.action, names.qualify(h.microflow.text, info.module)]
                for h in decl.handlers
            ]
            if decl
            else [],
        }
    associations = {
        q: {"source": a.source, "target": a.target, "many": a.many}
        for q, a in sorted(names.associations.items())
    }
    enumerations = {q: dict(e.values) for q, e in sorted(names.enums.items())}
    access = []
    for module, rule in names.access_rules:
        access.append(
            {
                "entity": names.qualify(rule.entity.text, module),
                "role": names.qualify(rule.role.text, module),
                "create": rule.create,
                "delete": rule.delete,
                "read": canonical(rule.read),
                "write": canonical(rule.write),
                "where": canonical(rule.constraints),
            }
        )
    access.sort(key=lambda r: (r["entity"], r["role"]))
    offline = {
        q: {"mode": e.mode, "where": canonical(e.constraints)}
        for q, e in sorted(names.offline.items())
    }
    return {
        "format": DESCRIPTION_FORMAT,
        "entities": entities,
        "enumerations": enumerations,
        "associations": associations,
        "roles": sorted(names.roles),
        "access": access,
        "offline": offline,
    }


def canonical_json(description: dict[str, Any]) -> str:
    return json.dumps(description, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(description: dict[str, Any]) -> str:
    """The sha256 of the canonical JSON of a description."""
    return hashlib.sha256(canonical_json(description).encode("utf-8")).hexdigest()


@dataclass
class ModelDiff:
    """What changed from an old description to a new one."""

    incompatible: list[str] = field(default_factory=list)
    compatible: list[str] = field(default_factory=list)


def _length_narrowed(old: int | None, new: int | None) -> bool:
    return new is not None and (old is None or new < old)


def diff(old: dict[str, Any], new: dict[str, Any]) -> ModelDiff:
    """Additions and changed rules, modes, defaults and flags are compatible; removing,
    renaming (a removal plus an addition) or retyping anything is not."""
    result = ModelDiff()
    bad, ok = result.incompatible.append, result.compatible.append
    old_entities, new_entities = old.get("entities", {}), new.get("entities", {})
    for qname, before in old_entities.items():
        after = new_entities.get(qname)
        if after is None:
            bad(f"entity {qname} was removed")
            continue
        if before["parent"] != after["parent"]:
            bad(f"entity {qname} now extends {after['parent']} (was {before['parent']})")
        if before["owner"] and not after["owner"]:
            bad(f"association {OWNER_ASSOCIATION} of {qname} was removed")
        elif after["owner"] and not before["owner"]:
            ok(f"entity {qname} now has an owner")
        for name, attr in before["attributes"].items():
            where = f"attribute {qname}.{name}"
            changed = after["attributes"].get(name)
            if changed is None:
                bad(f"{where} was removed")
            elif changed["type"] != attr["type"]:
                bad(f"{where} changed type from {attr['type']} to {changed['type']}")
            elif _length_narrowed(attr["length"], changed["length"]):
                bad(f"{where} was shortened from {attr['length']} to {changed['length']}")
            elif changed != attr:
                ok(f"{where} changed")
        for name in after["attributes"].keys() - before["attributes"].keys():
            ok(f"attribute {qname}.{name} was added")
        if (before["indexes"], before["handlers"]) != (after["indexes"], after["handlers"]):
            ok(f"indexes or event handlers of {qname} changed")
    for qname in new_entities.keys() - old_entities.keys():
        ok(f"entity {qname} was added")
    old_enums, new_enums = old.get("enumerations", {}), new.get("enumerations", {})
    for qname, values in old_enums.items():
        now = new_enums.get(qname)
        if now is None:
            bad(f"enumeration {qname} was removed")
            continue
        for key in values.keys() - now.keys():
            bad(f"enumeration value {qname}.{key} was removed")
        if now != values:
            ok(f"enumeration {qname} changed")
    for qname in new_enums.keys() - old_enums.keys():
        ok(f"enumeration {qname} was added")
    old_assocs, new_assocs = old.get("associations", {}), new.get("associations", {})
    for qname, before in old_assocs.items():
        after = new_assocs.get(qname)
        if after is None:
            bad(f"association {qname} was removed")
        elif after != before:
            bad(f"association {qname} changed from {_ends(before)} to {_ends(after)}")
    for qname in new_assocs.keys() - old_assocs.keys():
        ok(f"association {qname} was added")
    old_offline, new_offline = old.get("offline", {}), new.get("offline", {})
    for qname in old_offline.keys() - new_offline.keys():
        bad(f"entity {qname} was removed from the offline profile")
    for qname in new_offline.keys() - old_offline.keys():
        ok(f"entity {qname} was added to the offline profile")
    for qname in old_offline.keys() & new_offline.keys():
        if old_offline[qname] != new_offline[qname]:
            ok(f"offline mode of {qname} changed")
    if (old.get("access"), old.get("roles")) != (new.get("access"), new.get("roles")):
        ok("roles or access rules changed")
    return result


def _ends(assoc: dict[str, Any]) -> str:
    many = "many " if assoc["many"] else ""
    return f"{assoc['source']} → {many}{assoc['target']}"
