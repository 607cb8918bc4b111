"""Every app under samples/ parses and compiles clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanoflow.parser import parse_source
from nanoflow.source import SourceFile

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_DIRS = sorted(path for path in SAMPLES.iterdir() if path.is_dir())
SAMPLE_FILES = sorted(SAMPLES.rglob("*.nf"))


def test_there_are_samples() -> None:
    assert SAMPLE_DIRS, f"no sample apps under {SAMPLES}"
    for sample in SAMPLE_DIRS:
        assert any(sample.rglob("*.nf")), f"{sample} has no .nf files"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_sample_file_parses(path: Path) -> None:
    module, problems = parse_source(SourceFile.read(path))
    assert module is not None and not problems, "\n".join(str(d) for d in problems)


@pytest.mark.parametrize("sample", SAMPLE_DIRS, ids=lambda p: p.name)
def test_sample_compiles_clean(sample: Path) -> None:
    from nanoflow.compiler import compile_path

    result = compile_path(sample)
    if result.diagnostics:
        pytest.fail("\n".join(str(d) for d in result.diagnostics))
    assert result.app is not None, "no diagnostics, but no app either"
