"""The examples of docs/runtime.md run as the page says: each statement fragment runs as a
nanoflow of the page's `Demo` module on a fresh store, and where its `return` line ends in a
`// result` comment, that is the result."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from nanoflow.compiler import compile_sources
from nanoflow.runtime.errors import FlowError
from nanoflow.runtime.host import Host
from nanoflow.runtime.session import Session as Runtime
from nanoflow.source import SourceFile

PAGE = Path(__file__).resolve().parents[2] / "docs" / "runtime.md"
EXTRA = "page Customer_Edit($customer: Customer)\n"


def blocks() -> list[tuple[int, str]]:
    lines = PAGE.read_text().splitlines()
    found: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```nf":
            start = index + 2
            body: list[str] = []
            index += 1
            while not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            found.append((start, "\n".join(body) + "\n"))
        index += 1
    return found


BLOCKS = blocks()
DEMO = BLOCKS[0][1]
FRAGMENTS = [(line, text) for line, text in BLOCKS[1:] if not text.lstrip().startswith("module")]


class QuietHost(Host):
    def _write(self, text: str) -> None:
        pass


def test_the_page_starts_with_its_demo_module() -> None:
    assert DEMO.startswith("module Demo")
    assert len(FRAGMENTS) >= 5


@pytest.mark.parametrize(("line", "text"), FRAGMENTS, ids=[f"runtime.md:{n}" for n, _ in FRAGMENTS])
def test_runtime_page_example(line: int, text: str, tmp_path: Path) -> None:
    declarations = text.lstrip().startswith(("nanoflow", "microflow"))
    if declarations:
        source = "module Demo\n" + text
        flow = None
    else:
        returns = " returns String" if re.search(r"^\s*return\b", text, re.M) else ""
        source = f"module Demo\n{EXTRA}nanoflow Example(){returns} {{\n{text}}}\n"
        flow = "Demo.Example"
    result = compile_sources([SourceFile("demo.nf", DEMO), SourceFile("example.nf", source)])
    if [d.code for d in result.diagnostics] == ["NF309"]:  # the fragment may fall through
        source = source[: source.rindex("}")] + "return ''\n}\n"
        result = compile_sources([SourceFile("demo.nf", DEMO), SourceFile("example.nf", source)])
    assert result.app is not None, [str(d) for d in result.diagnostics]
    if flow is None:
        return
    expected = None
    for match in re.finditer(r"^\s*return .*//\s*(.+?)\s*$", text, re.M):
        expected = match.group(1)

    async def run() -> object:
        async with Runtime(result.app, store=tmp_path / "d.sqlite", host=QuietHost()) as rt:
            try:
                return await rt.call(flow)
            except FlowError as error:
                return f"error: {error.message}"

    value = asyncio.run(run())
    if expected is not None:
        assert value == expected
