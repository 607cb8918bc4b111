"""Start-up targets: whole `nanoflow` commands in fresh processes against `python -c pass`.

Each command and the bare interpreter run alternately as new subprocesses; the figure is the
best command time divided by the best interpreter time of the same run. The first call of each
command is an untimed warm-up, which also fills the per-user cache (grammar, built-in modules,
help) in a fresh folder of this run.

The target rows run as an installed package does, with bytecode: `PYTHONDONTWRITEBYTECODE` is
dropped and bytecode goes to a temporary `PYTHONPYCACHEPREFIX` (pip compiles an installed
package; a source tree writes `__pycache__` on first use). INFO rows give the same commands
without bytecode (every module compiled from source at every start), as under
`PYTHONDONTWRITEBYTECODE=1`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
    return [sys.executable, "-m", "nanoflow"]


def wall_time(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one fresh process; a failing command is a measuring error."""
    start = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {message}")
    return elapsed


def environments(folder: Path) -> dict[str, dict[str, str]]:
    """The subprocesses' environments: with bytecode (targets) and without (information)."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base["NANOFLOW_CACHE_DIR"] = str(folder / "cache")
    return {
        "": {**base, "PYTHONPYCACHEPREFIX": str(folder / "bytecode")},
        " (no bytecode)": {**base, "PYTHONDONTWRITEBYTECODE": "1"},
    }


def measure(command: list[str], bare: list[str], env: dict[str, str], runs: int) -> Result:
    """Best command time over best interpreter time, after one untimed call of each."""
    wall_time(bare, env)
    wall_time(command, env)
    best_bare = best_command = float("inf")
    for _ in range(runs):
        best_bare = min(best_bare, wall_time(bare, env))
        best_command = min(best_command, wall_time(command, env))
    detail = f"{best_command * 1000:.0f} ms vs {best_bare * 1000:.0f} ms, best of {runs}"
    return Result("", best_command / best_bare, detail=detail)


def target_startup(ctx: Context) -> list[Result]:
    runs = max(ctx.runs * 2, 5)
    bare = [sys.executable, "-c", "pass"]
    base = nanoflow_command()
    rows: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="nanoflow-bench-startup-") as folder:
        for suffix, env in environments(Path(folder)).items():
            for name, args, target in COMMANDS:
                label = name + suffix
                try:
                    row = measure([*base, *args], bare, env, runs)
                except (OSError, RuntimeError) as error:
                    rows.append(Result(label, None, target, skipped=str(error)))
                    continue
                row.name = label
                row.target = None if suffix else target
                rows.append(row)
    return rows


TARGETS = [
    Target("startup", "`nanoflow --help`, `eval`, `check` in fresh processes", target_startup),
]
