"""Run the real `nanoflow` command in a subprocess; no output may ever hold a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))


def no_traceback(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """`done`, after checking that neither stream shows a Python traceback."""
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream
        assert "Event loop is closed" not in stream, stream
    return done


def nanoflow(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`nanoflow ARGS...` to completion, with its output as text."""
    done = subprocess.run(
        [NANOFLOW, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )
    return no_traceback(done)
