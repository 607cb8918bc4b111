"""Mendix's expression examples evaluated end to end: parsed, type-checked, compiled to Python
and run (the function library's own tests call the functions directly)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nanoflow.evaluate import prepare
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.session import Session as Runtime

DATA = json.loads((Path(__file__).parent / "data" / "mendix_examples.json").read_text())
VARIABLES = {"op-unary-minus": {"v": -7}}
# Microflow-only forms: the checker takes the nanoflow signature (LANGUAGE.md 8).
MICROFLOW_ONLY = {"parseDecimal-pattern"}


def runnable(row: dict[str, Any]) -> bool:
    text = json.dumps(row)
    if row["id"] in MICROFLOW_ONLY:
        return False
    if row.get("layer") == "mendix7" or '"enum"' in text or '"objects"' in text:
        return False
    if row.get("context") == "captions" or '"object"' in text:
        return False
    expect = row["expect"]
    if isinstance(expect, dict) and ("range" in expect or "approx" in expect):
        return False
    return "$" not in row["expr"] or row["id"] in VARIABLES


ROWS = [row for row in DATA["examples"] if runnable(row)]


def expected(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, dict):
        if "dec" in value:
            return Decimal(value["dec"])
        if "local" in value:
            return datetime.fromisoformat(value["local"]).replace(tzinfo=zone).astimezone(UTC)
        if "utc" in value:
            return datetime.fromisoformat(value["utc"].replace("Z", "")).replace(tzinfo=UTC)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def test_most_examples_run_end_to_end() -> None:
    assert len(ROWS) >= 120


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_example(row: dict[str, Any]) -> None:
    context = DATA["contexts"].get(row.get("context") or "utc")
    zone = ZoneInfo(context["timezone"])
    now = datetime.fromisoformat(context["now"].replace("Z", "+00:00"))
    prepared = prepare(row["expr"], VARIABLES.get(row["id"], {}))

    async def run() -> Any:
        async with Runtime(
            prepared.app,
            timezone=context["timezone"],
            now=lambda: now,
            rounding=context.get("rounding", "half_away_from_zero"),
        ) as rt:
            return await rt.call(prepared.flow, **prepared.arguments)

    expect = row["expect"]
    if isinstance(expect, dict) and "error" in expect:
        with pytest.raises(FlowError) as info:
            asyncio.run(run())
        assert expect["error"] in info.value.message
        return
    result = asyncio.run(run())
    assert result == expected(expect, zone), row
