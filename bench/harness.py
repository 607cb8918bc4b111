"""Benchmark plumbing: results, targets, timing, machine info and the bench-floor hook.

A target is a function that measures something and returns `Result` rows; it names the
bench-floor groups it needs (`floor.py --only`), so one floor run in the same process run
serves every selected target. Figures are ratios measured in the same run (see README.md).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FLOOR_SCRIPT = REPO.parent / "shared" / "bench-floor" / "floor.py"

Status = Literal["PASS", "FAIL", "INFO", "SKIP"]


@dataclass(slots=True)
class Result:
    """One row of the table: a measured figure against its target."""

    name: str
    measured: float | None
    target: float | None = None
    better: Literal["lower", "higher"] = "lower"
    unit: str = "x"
    detail: str = ""
    skipped: str = ""

    @property
    def status(self) -> Status:
        if self.skipped or self.measured is None:
            return "SKIP"
        if self.target is None:
            return "INFO"
        ok = (
            self.measured <= self.target
            if self.better == "lower"
            else (self.measured >= self.target)
        )
        return "PASS" if ok else "FAIL"

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"{'≤' if self.better == 'lower' else '≥'} {self.target:g}{self.unit}"

    def measured_text(self) -> str:
        return "-" if self.measured is None else f"{self.measured:.3g}{self.unit}"


@dataclass(slots=True)
class Context:
    """What every target gets: run counts, floors (when requested) and shared extras."""

    runs: int
    quick: bool
    floors: dict[str, float] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Target:
    """A benchmark entry: `run` returns its rows; `floor_groups` are floor.py `--only` groups."""

    key: str
    description: str
    run: Callable[[Context], list[Result]]
    floor_groups: tuple[str, ...] = ()


def best_of(fn: Callable[[], object], runs: int, warmup: int = 1) -> tuple[float, object]:
    """The best wall time of `runs` calls after `warmup` untimed calls, and the last result.

    The cyclic GC stays enabled (as in production); garbage from earlier runs is collected
    before each timed call so it is not charged to the next one.
    """
    result: object = None
    for _ in range(warmup):
        result = fn()
    best = float("inf")
    for _ in range(runs):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def machine_info() -> dict[str, str]:
    """Python, lark, CPUs and load: printed above the table."""
    try:
        import lark

        lark_version = lark.__version__
    except ImportError:  # pragma: no cover - lark is a dependency
        lark_version = "missing"
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "lark": lark_version,
        "cpus": f"{os.cpu_count()} (usable {affinity})",
        "cpu": cpu_model or platform.processor() or "?",
        "platform": platform.platform(),
        "load average": load,
    }


def run_floor(
    groups: list[str], runs: int, script: Path = DEFAULT_FLOOR_SCRIPT
) -> dict[str, float]:
    """The hook for bench-floor: run `floor.py --only GROUPS --no-venv` here and return its
    `floors` (medians, one number per key) for targets to divide by.

    It runs in this interpreter (the project's venv, `--no-venv`), so its package versions are
    the project's. Progress goes to stderr; the JSON document comes on stdout.
    """
    command = [
        sys.executable, str(script), "--only", ",".join(groups), "--no-venv", "--runs", str(runs),
    ]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    floors: dict[str, float] = json.loads(done.stdout)["floors"]
    return floors
