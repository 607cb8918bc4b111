"""Start-up targets: whole `nanoflow` commands in fresh processes against `python -c pass`.

Each command and the bare interpreter run alternately as new subprocesses; the figure is the
best command time divided by the best interpreter time of the same run. The first call of each
command is an untimed warm-up, which also fills the per-user cache (grammar, built-in modules).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from harness import REPO, Context, Result, Target

SAMPLE = REPO / "samples" / "sales"

COMMANDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("startup `nanoflow --help` / python -c pass", ("--help",), 4.0),
    ("startup `nanoflow eval '1+1'` / python -c pass", ("eval", "1+1"), 8.0),
    ("startup `nanoflow check samples/sales` / python -c pass", ("check", str(SAMPLE)), 10.0),
)


def nanoflow_command() -> list[str]:
    """The installed console script beside this interpreter, else the same entry point."""
    script = Path(sys.executable).with_name("nanoflow")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from nanoflow.cli import main; main()"]


def wall_time(command: list[str]) -> float:
    """Wall time of one fresh process; a failing command is a measuring error."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {message}")
    return elapsed


def target_startup(ctx: Context) -> list[Result]:
    runs = max(ctx.runs * 2, 5)
    bare = [sys.executable, "-c", "pass"]
    base = nanoflow_command()
    rows: list[Result] = []
    for name, args, target in COMMANDS:
        command = [*base, *args]
        try:
            wall_time(bare)
            wall_time(command)
        except (OSError, RuntimeError) as error:
            rows.append(Result(name, None, target, skipped=str(error)))
            continue
        best_bare = best_command = float("inf")
        for _ in range(runs):
            best_bare = min(best_bare, wall_time(bare))
            best_command = min(best_command, wall_time(command))
        rows.append(
            Result(
                name,
                best_command / best_bare,
                target,
                detail=f"{best_command * 1000:.0f} ms vs {best_bare * 1000:.0f} ms, best of {runs}",
            )
        )
    return rows


TARGETS = [
    Target("startup", "`nanoflow --help`, `eval`, `check` in fresh processes", target_startup),
]
