"""Stored column values straight to their wire form: what decoding a row (the store's
decoders) and then `to_wire` give, without building the runtime values in between. Downloads
and object states use them for every value they send."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from nanoflow.runtime.store import codec
from nanoflow.runtime.wire import to_wire


def wire_converter(kind: str, enum: str | None, native: bool) -> Callable[[Any], Any] | None:
    """Stored column value (not NULL) → wire value: the store's decoder then `to_wire`, as
    a download's `_row` does (None: the stored value is the wire value)."""
    if kind == "Boolean":
        return wire_boolean
    if kind == "Decimal" and not native:
        return wire_decimal
    if kind == "DateTime":
        return wire_datetime
    decode = codec.decoder(kind, enum)
    if kind == "Decimal":
        decode = None  # a NUMERIC column gives Decimals
    if decode is None and kind in ("String", "Integer", "Long", "AutoNumber", "Ref"):
        return None

    def convert(value: Any) -> Any:
        return to_wire(kind, value if decode is None else decode(value))

    return convert


def wire_boolean(value: Any) -> bool:
    return bool(value == 1)


def wire_decimal(text: str) -> str:
    """A stored Decimal as its plain notation, as `to_wire(decode_decimal(text))` gives it
    (the common positive form is rewritten without building a Decimal)."""
    if text[0] == "P":
        plain = text[1:].lstrip("0")
        return "0" + plain if plain[0] == "." else plain
    return str(to_wire("Decimal", codec.decode_decimal(text)))


_DAYS: dict[int, str] = {}
_CLOCKS: dict[int, str] = {}
_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))
_EPOCH_DAY = date(1970, 1, 1).toordinal()


def day_text(days: int) -> str:
    """`2025-03-01`, the date `days` after 1970-01-01 (kept for the next time)."""
    if len(_DAYS) > 100_000:
        _DAYS.clear()
    text = _DAYS[days] = date.fromordinal(_EPOCH_DAY + days).isoformat()
    return text


def clock_text(second: int) -> str:
    """`T09:00:00`, the time of the `second`-th second of a day (kept: at most 86,400)."""
    minutes, sec = divmod(second, 60)
    text = _CLOCKS[second] = f"T{minutes // 60:02d}:{minutes % 60:02d}:{sec:02d}"
    return text


DATETIME_SOURCE = (
    "(DAYS.get(d := {0} // 86400000) or DAY(d)) + "
    "(CLOCKS.get(s := {0} // 1000 % 86400) or CLOCK(s)) + MILLIS[{0} % 1000]"
)
"""`wire_datetime` as an expression over a name of the stored value, for generated code
(with `DATETIME_NAMES`)."""
DATETIME_NAMES = {
    "DAYS": _DAYS, "DAY": day_text, "CLOCKS": _CLOCKS, "CLOCK": clock_text, "MILLIS": _MILLIS,
}  # fmt: skip


def wire_datetime(ms: int) -> str:
    """Stored epoch milliseconds as the protocol's date-time text, as
    `to_wire(decode_datetime(ms))` gives it (`2025-03-01T09:00:00.000Z`): the date of each
    day and the time of each second of a day are formatted once."""
    return (
        (_DAYS.get(d := ms // 86_400_000) or day_text(d))
        + (_CLOCKS.get(s := ms // 1000 % 86_400) or clock_text(s))
        + _MILLIS[ms % 1000]
    )


AttributeReader = Callable[[Any], dict[str, Any]]


def attribute_items(
    layout: Any, members: list[tuple[str, Any]], native: bool, namespace: dict[str, Any]
) -> list[str]:
    """`'Member': <wire value of the row r>` for these (member, column) pairs of an entity,
    for generated code (converters go into `namespace`)."""
    items = []
    for member, column in members:
        index = layout.table.position(column.name)
        if column.kind == "DateTime":  # `wire_datetime`, inlined
            namespace.update(DATETIME_NAMES)
            expression = DATETIME_SOURCE.format("x")
            items.append(f"{member!r}: (None if (x := r[{index}]) is None else {expression})")
            continue
        if column.kind == "Boolean":
            items.append(f"{member!r}: (None if (x := r[{index}]) is None else x == 1)")
            continue
        convert = wire_converter(column.kind, column.enum, native)
        if convert is None:
            items.append(f"{member!r}: r[{index}]")
        else:
            namespace[f"c{index}"] = convert
            items.append(f"{member!r}: (None if (x := r[{index}]) is None else c{index}(x))")
    return items


def attribute_reader(layout: Any, members: list[tuple[str, Any]], native: bool) -> AttributeReader:
    """`read(row)` → {member: wire value} for these (member, column) pairs of an entity, from
    a row selected with its table's `select_list` (generated: one dict display)."""
    namespace: dict[str, Any] = {}
    items = attribute_items(layout, members, native, namespace)
    source = f"def read(r):\n    return {{{', '.join(items)}}}\n"
    exec(compile(source, f"<nanoflow.state {layout.qname}>", "exec"), namespace)
    made: AttributeReader = namespace["read"]
    return made
