"""Every app under samples/ parses and compiles clean."""

from __future__ import annotations

import json
import subprocess
import sys
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


def _runs() -> list[tuple[Path, dict[str, object]]]:
    found = []
    for sample in SAMPLE_DIRS:
        runs = sample / "runs.json"
        if runs.exists():
            for run in json.loads(runs.read_text()):
                found.append((sample, run))
    return found


RUNS = _runs()


def test_local_samples_have_runs() -> None:
    assert RUNS, "no sample lists flows to run in a runs.json"


@pytest.mark.parametrize(("sample", "run"), RUNS, ids=[f"{s.name}:{r['flow']}" for s, r in RUNS])
def test_sample_flow_runs_with_the_expected_result(
    sample: Path, run: dict[str, object], tmp_path: Path
) -> None:
    """Each run of runs.json, through the real CLI on a fresh store."""
    command = [
        str(Path(sys.executable).with_name("nanoflow")),
        "run",
        str(sample),
        str(run["flow"]),
        "--json",
        "--store",
        str(tmp_path / "device.sqlite"),
    ]
    params = run.get("params") or {}
    assert isinstance(params, dict)
    for name, value in params.items():
        command += ["--param", f"{name}={value}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout)["result"]
    for key in run.get("result_path") or []:  # type: ignore[attr-defined]
        result = result[key]
    assert result == run["result"]
