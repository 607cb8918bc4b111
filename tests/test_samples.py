"""Every app under samples/ parses and compiles clean, and runs: the flows of its runs.json, and
the inspections demo through the README's first command."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
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


# ---- the inspections demo and the README's first command -----------------------------------

ROOT = SAMPLES.parent
INSPECTIONS = SAMPLES / "inspections"
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -q -e . && "


def readme_first_command() -> str:
    """The first line of the README's quick start."""
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("\n## Quick start\n", 1)[1]
    block = quick_start.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.splitlines()[0]


def shown_output(readme: Path) -> str:
    """The demo's output as a README shows it: the ```text block after the demo's command."""
    text = readme.read_text()
    after = text.split("\n```text\n", 1)[1]
    return after.split("\n```", 1)[0] + "\n"


def copy_of_the_samples(into: Path) -> Path:
    shutil.copytree(SAMPLES, into / "samples", ignore=shutil.ignore_patterns(".nanoflow"))
    return into


def server_failures(database: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows = conn.execute(
            'SELECT "System.SynchronizationFailure.ObjectType", '
            '"System.SynchronizationFailure.Reason" FROM "o:System.SynchronizationFailure"'
        ).fetchall()
    return [(str(kind), str(reason)) for kind, reason in rows]


def test_the_readmes_first_command_runs_the_inspections_demo_again_and_again(
    tmp_path: Path,
) -> None:
    """The README's first command, in a fresh copy of the samples, twice: the installing part
    is the one `.ci/run` runs too (here the test's own environment stands in for `.venv`); the
    rest runs as written. Each run tells the whole story, the one the sample's README shows."""
    command = readme_first_command()
    assert command.startswith(INSTALL), command
    demo = command[len(INSTALL) :]
    assert demo.startswith(".venv/bin/") and "samples/inspections/demo.py" in demo, demo
    work = copy_of_the_samples(tmp_path)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "NO_COLOR": "1"}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            demo.replace(".venv/bin/", f"{bin_dir}/"), shell=True, cwd=work, env=env,
            capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr + done.stdout
        assert done.stderr == "", done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]  # a second run starts afresh: the same story
    story = outputs[0]
    assert story == shown_output(ROOT / "README.md") == shown_output(INSPECTIONS / "README.md")
    for fact in (
        "[alice] first sync: 1 site, 1 inspection",
        "synchronize $finding: deleted on the server, so $finding is now empty",
        "is_empty=True",
        "refused by the server's before-commit handler, gone from her device",
        "rt.failures(): 2 refused changes",
        "'Performing simultaneous synchronizations is not supported. Please try again after "
        "the current synchronization is completed.'",
        "[bob]   Amsterdam depot: Closed, 2 finding(s), worst: Fire exit blocked",
    ):
        assert fact in story
    state = work / "samples" / "inspections" / ".nanoflow" / "demo"
    kept = server_failures(state / "server.sqlite")
    assert sorted(kind for kind, _ in kept) == ["Inspections.Finding", "Inspections.Finding"]
    assert any("is closed: it takes no more findings" in reason for _, reason in kept)
    assert sorted(p.name for p in state.glob("*.sqlite")) == [
        "alice.sqlite", "bob.sqlite", "server.sqlite",
    ]  # fmt: skip


@pytest.mark.skipif(
    not os.environ.get("NANOFLOW_TEST_README_INSTALL"),
    reason="installs Nanoflow into a new virtual environment (a minute): set "
    "NANOFLOW_TEST_README_INSTALL=1",
)
def test_the_readmes_first_command_on_a_fresh_checkout(tmp_path: Path) -> None:
    """The README's first command exactly as written, install included, in a copy of the
    repository's tracked files."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() or source.is_symlink():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                target.symlink_to(os.readlink(source))
            else:
                shutil.copy2(source, target)
    done = subprocess.run(
        readme_first_command(), shell=True, cwd=tmp_path, capture_output=True, text=True,
        check=False, stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout == shown_output(ROOT / "README.md")
