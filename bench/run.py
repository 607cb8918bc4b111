"""Nanoflow's benchmark: every target as a ratio measured in the same run.

    .venv/bin/python bench/run.py [--quick] [--only compile,linearity] [--floors] [--json FILE]

Prints the machine, then one table row per figure: its name, the measured ratio, the target and
PASS/FAIL (INFO rows have no target). Exits 1 when a target fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import front_end
import runtime_targets
import server_targets
import startup
import sync_targets
from harness import DEFAULT_FLOOR_SCRIPT, Context, Result, Target, machine_info, run_floor
from rich.console import Console
from rich.table import Table

# Each a `Target` naming the floor.py groups it divides by (sync and server: SYNC.md section 9).
TARGETS: list[Target] = [
    *front_end.TARGETS, *runtime_targets.TARGETS, *startup.TARGETS, *sync_targets.TARGETS,
    *server_targets.TARGETS,
]

_STYLE = {"PASS": "green", "FAIL": "bold red", "INFO": "cyan", "SKIP": "yellow"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="best of 2 runs instead of 5")
    parser.add_argument("--runs", type=int, help="timed runs per figure (after one warm-up)")
    parser.add_argument(
        "--only", help="comma-separated target keys: " + ", ".join(t.key for t in TARGETS)
    )
    parser.add_argument(
        "--floors",
        action="store_true",
        help="run bench-floor's floor.py (--no-venv) for the targets that divide by a floor",
    )
    parser.add_argument("--floor-script", type=Path, default=DEFAULT_FLOOR_SCRIPT)
    parser.add_argument("--json", type=Path, help="also write the rows and machine info here")
    return parser.parse_args(argv)


def select(only: str | None) -> list[Target]:
    if not only:
        return TARGETS
    keys = {k.strip() for k in only.split(",") if k.strip()}
    unknown = keys - {t.key for t in TARGETS}
    if unknown:
        raise SystemExit(f"unknown target(s): {', '.join(sorted(unknown))}")
    return [t for t in TARGETS if t.key in keys]


def render(console: Console, info: dict[str, str], rows: list[Result], runs: int) -> None:
    console.print(f"[bold]Nanoflow benchmark[/] (best of {runs} after one warm-up)")
    for key, value in info.items():
        console.print(f"  {key}: {value}")
    table = Table(show_lines=False)
    table.add_column("figure")
    table.add_column("measured", justify="right")
    table.add_column("target", justify="right")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for row in rows:
        status = row.status
        table.add_row(
            row.name,
            row.measured_text(),
            row.target_text(),
            f"[{_STYLE[status]}]{status}[/]",
            row.skipped or row.detail,
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = args.runs or (2 if args.quick else 5)
    targets = select(args.only)
    console = Console(width=None if sys.stdout.isatty() else 140)
    info = machine_info()
    ctx = Context(runs=runs, quick=args.quick)
    groups = sorted({g for t in targets for g in t.floor_groups})
    if groups and args.floors:
        console.print(f"running floor.py --only {','.join(groups)} --no-venv ...")
        ctx.floors = run_floor(groups, runs=3 if args.quick else 5, script=args.floor_script)
    rows: list[Result] = []
    for target in targets:
        if target.floor_groups and ctx.floors is None:
            rows.append(Result(target.description, None, skipped="needs --floors"))
            continue
        console.print(f"[dim]measuring {target.key}: {target.description} ...[/]")
        rows.extend(target.run(ctx))
    render(console, info, rows, runs)
    if args.json:
        document = {
            "machine": info,
            "runs": runs,
            "floors": ctx.floors,
            "rows": [
                {
                    "name": r.name,
                    "measured": r.measured,
                    "target": r.target,
                    "better": r.better,
                    "status": r.status,
                    "detail": r.skipped or r.detail,
                }
                for r in rows
            ],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 1 if any(r.status == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
