"""Uploaded attribute values to runtime values, by code generated once per entity: what
`runtime.wire.reader` gives for each value, without a lookup and a call per member. An upload
decodes every value of every object before it applies any, so this loop runs per value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nanoflow.runtime.wire import WireError, reader

AttributeDecoder = Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]]
"""`decode(attributes)` → (runtime values of the entity's attributes among them, the String
members whose text holds NUL); raises `WireError` for a value that does not fit its member.
Members the entity does not have are left out (a device with a newer, compatible model)."""

_CLASS_CHECKED = {
    "String": "str",
    "HashedString": "str",
    "Integer": "int",
    "Long": "int",
    "AutoNumber": "int",
    "Boolean": "bool",
}
"""Kinds whose wire value is the runtime value, checked by exact class (JSON gives no
subclasses; `bool` is not `int` here, as `reader` has it)."""


def _fail(kind: str) -> Callable[[Any], WireError]:
    def fail(value: Any) -> WireError:
        return WireError(f"{value!r} is not a {kind} value")

    return fail


_SCALARS = (bool, int, str, type(None))


def _check_others(attributes: dict[str, Any], decoded: dict[str, Any]) -> None:
    """Values of members the entity does not have are ignored, but must still be member
    values (`protocol.sync.Scalar`): the upload model leaves checking its values to here."""
    for member, value in attributes.items():
        if member not in decoded and value.__class__ not in _SCALARS:
            raise WireError(
                f"{member}: {value!r} is not a member value (null, a boolean, an integer or "
                "a string)"
            )


def attribute_decoder(entity: str, kinds: dict[str, tuple[str, str | None]]) -> AttributeDecoder:
    """The decoder of an entity's attributes (`kinds`: member → (kind, enumeration), as
    `runtime.wire.member_kinds` gives them; references and reference sets are skipped)."""
    namespace: dict[str, Any] = {"M": object(), "other": _check_others}
    lines = ["def decode(a):", "    v = {}", "    nul = []", "    k = 0"]
    for n, (member, (kind, enum)) in enumerate(kinds.items()):
        if kind in ("Ref", "RefSet"):
            continue
        lines += [f"    x = a.get({member!r}, M)", "    if x is not M:", "        k += 1"]
        checked = _CLASS_CHECKED.get(kind)
        if checked is not None:
            namespace[f"f{n}"] = _fail("String" if kind == "HashedString" else kind)
            namespace[checked] = {"str": str, "int": int, "bool": bool}[checked]
            lines.append(f"        if x is not None and x.__class__ is not {checked}:")
            lines.append(f"            raise f{n}(x)")
            if checked == "str":
                lines.append(f"        if x is not None and '\\x00' in x: nul.append({member!r})")
            lines.append(f"        v[{member!r}] = x")
        else:
            namespace[f"r{n}"] = reader(kind, enum)
            lines.append(f"        v[{member!r}] = None if x is None else r{n}(x)")
    lines.append("    if k != len(a):")
    lines.append("        other(a, v)")
    lines.append("    return v, nul")
    code = compile("\n".join(lines) + "\n", f"<nanoflow.upload {entity}>", "exec")
    exec(code, namespace)
    decode: AttributeDecoder = namespace["decode"]
    return decode
