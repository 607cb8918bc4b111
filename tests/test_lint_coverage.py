"""ruff and mypy see every Python file of the package, including `runtime/` and
`stdlib_actions/`, which the package reaches through symlinks that ruff does not follow."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_dirs() -> set[str]:
    """Top-level directories of the checkout that hold Python source."""
    skip = {".venv", "grammar"}
    return {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir()
        and not path.is_symlink()
        and path.name not in skip
        and not path.name.startswith(".")
        and not path.name.endswith(".egg-info")
        and any(path.rglob("*.py"))
    }


def test_ci_lints_every_python_directory() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"^\.venv/bin/ruff check (.+)$", script, re.M)
    assert command is not None
    assert python_dirs() <= set(command.group(1).split())


def test_mypy_checks_the_runtime_through_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["packages"] == ["nanoflow"] and config["strict"] is True
    for name in ("runtime", "stdlib_actions"):
        link = ROOT / "nanoflow" / name
        assert link.is_symlink() and link.resolve() == ROOT / name


@pytest.mark.skipif(
    shutil.which("ruff", path=str(Path(sys.executable).parent)) is None,
    reason="ruff is not installed next to this Python",
)
def test_runtime_and_actions_are_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None
    done = subprocess.run(
        [ruff, "check", "--no-cache", "runtime", "stdlib_actions"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
