"""Every flow of generated type-correct apps compiles to valid Python."""

from __future__ import annotations

import pytest
from program_gen import generate_app

from nanoflow import ir
from nanoflow.compiler import compile_sources
from nanoflow.runtime.flowgen import FlowGen
from nanoflow.source import SourceFile


@pytest.mark.parametrize("seed", range(8))
def test_generated_flows_compile_to_python(seed: int) -> None:
    result = compile_sources([SourceFile(f"gen{seed}.nf", generate_app(1200, seed))])
    assert result.app is not None, [str(d) for d in result.diagnostics[:5]]
    flows = result.app.flows()
    assert flows
    for info in flows.values():
        assert isinstance(info.decl, ir.Flow)
        compiled = FlowGen(result.app, info.module, info.decl, info).generate()
        assert callable(compiled.function)
        assert compiled.lines, f"{info.qname}: no activity mapped to a source line"
