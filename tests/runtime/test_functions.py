"""Every example of the Mendix expression reference (tests/runtime/data/mendix_examples.json),
evaluated with the function library under a fixed context."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nanoflow import functions as signatures
from nanoflow.runtime.functions import FUNCTIONS, LIST_FUNCTIONS, EvalContext, token_value
from nanoflow.runtime.values import EnumValue, MendixError, MxObject

DATA = json.loads((Path(__file__).parent / "data" / "mendix_examples.json").read_text("utf-8"))
ROWS: list[dict[str, Any]] = DATA["examples"]
LAYERS = {"operators", "mendix7"}


def make_context(name: str) -> EvalContext:
    spec = DATA["contexts"][name]
    now = datetime.fromisoformat(spec["now"].replace("Z", "+00:00"))
    captions: dict[str, str] = spec.get("captions", {})
    return EvalContext(
        timezone=ZoneInfo(spec["timezone"]),
        rounding=spec.get("rounding", "half_away_from_zero"),
        now=lambda: now,
        enum_caption=lambda e: captions.get(f"{e.enum}.{e.key}", e.key),
        random=lambda: 0.3,
    )


def decode(value: Any, ctx: EvalContext) -> Any:
    """A runtime value from the data file's encoding (see its `about`)."""
    if not isinstance(value, dict):
        return value
    (kind, body), *rest = value.items()
    match kind:
        case "dec":
            return Decimal(body)
        case "local":
            naive = datetime.fromisoformat(body)
            return naive.replace(tzinfo=ctx.timezone).astimezone(UTC)
        case "utc":
            return datetime.fromisoformat(body).replace(tzinfo=UTC)
        case "call":
            return FUNCTIONS[body](ctx, *(decode(a, ctx) for a in value["args"]))
        case "token":
            return token_value(ctx, body)
        case "enum":
            enum, _, key = body.rpartition(".")
            return EnumValue.of(enum, key)
        case "objects":
            return [MxObject("Test.EntityA") for _ in range(body)]
        case "object":
            return MxObject("Test.EntityA", new=body["new"])
    raise AssertionError(f"unknown encoding {value!r} ({rest})")


def run(row: dict[str, Any], ctx: EvalContext) -> Any:
    if "token" in row:
        return token_value(ctx, row["token"])
    table = LIST_FUNCTIONS if row.get("list") else FUNCTIONS
    return table[row["fn"]](ctx, *(decode(a, ctx) for a in row["args"]))


def check(result: Any, expect: Any, ctx: EvalContext) -> None:
    if isinstance(expect, dict) and "approx" in expect:
        assert isinstance(result, Decimal)
        assert abs(result - Decimal(expect["approx"])) <= Decimal(expect["tolerance"])
    elif isinstance(expect, dict) and "range" in expect:
        low, high = (Decimal(x) for x in expect["range"])
        assert isinstance(result, Decimal) and low <= result < high
    else:
        wanted = decode(expect, ctx)
        assert type(result) is type(wanted), f"{result!r} is not a {type(wanted).__name__}"
        assert result == wanted


FUNCTION_ROWS = [r for r in ROWS if r.get("layer") not in LAYERS]


@pytest.mark.parametrize("row", FUNCTION_ROWS, ids=[r["id"] for r in FUNCTION_ROWS])
def test_documented_example(row: dict[str, Any]) -> None:
    ctx = make_context(row["context"])
    expect = row["expect"]
    if isinstance(expect, dict) and "error" in expect:
        with pytest.raises(MendixError) as info:
            run(row, ctx)
        assert expect["error"] in info.value.message
        return
    result = run(row, ctx)
    check(result, expect, ctx)
    if "text" in row:
        assert FUNCTIONS["toString"](ctx, result) == row["text"]


def test_data_file_is_well_formed() -> None:
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    names = set(signatures.FUNCTIONS) | set(signatures.STRING_OVERLOADS)
    for row in ROWS:
        assert row["source"] and row["expr"] and "expect" in row, row["id"]
        assert row.get("layer") in (None, *LAYERS), row["id"]
        if "slip" in row:
            assert "doc" in row, row["id"]
        if row.get("layer") or "token" in row:
            continue
        assert row["context"] in DATA["contexts"], row["id"]
        assert row["fn"] in (signatures.LIST_FUNCTIONS if row.get("list") else names), row["id"]


def test_slips_are_recorded() -> None:
    """The documentation slips of the digest's section 11 stay in the data, with the correct
    value as the expectation and the docs' text beside it."""
    slips = {r["id"] for r in ROWS if "slip" in r}
    for row_id in (
        "round-88.725", "addDays", "addHours", "addMonths", "addQuarters", "subtractYears",
        "trimToYears", "addMilliseconds", "addSeconds-long", "endOfDay", "formatDecimal-grouping",
        "formatDecimal-currency", "formatDecimal-currency-nl",
    ):  # fmt: skip
        assert row_id in slips


def test_the_library_imports_no_front_end() -> None:
    """The modules import only the standard library, the runtime, `nanoflow.types`,
    `nanoflow.functions` and `nanoflow.list_functions` (never lark, rich, the parser or a bare
    `runtime`)."""
    import ast
    import sys

    import nanoflow.runtime.functions as package

    allowed = (
        "nanoflow.runtime.",
        "nanoflow.types",
        "nanoflow.functions",
        "nanoflow.list_functions",
    )
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                ok = top in sys.stdlib_module_names or top == "__future__"
                assert ok or module.startswith(allowed), f"{path.name} imports {module}"
