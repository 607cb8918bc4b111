"""Front-end targets: compiling a generated app against lark's bare parse of the same text."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

from harness import REPO, Context, Result, Target, best_of

sys.path.insert(0, str(REPO / "tests"))

from program_gen import generate_app

from nanoflow.parser import grammar_text, parse_source
from nanoflow.source import SourceFile

BIG_LINES = 20_000
SMALL_LINES = 5_000
SEED = 1
COMPILE_RATIO_TARGET = 2.5
LINEARITY_TARGET = 1.5


@cache
def app_text(lines: int) -> str:
    return generate_app(lines, seed=SEED)


def line_count(text: str) -> int:
    return text.count("\n") + 1


@cache
def bare_lark() -> Any:
    """lark's LALR parser for the project grammar with default tree building (no transformer)."""
    from lark import Lark

    return Lark(grammar_text(), parser="lalr", lexer="contextual")


def compile_sources_or_none() -> Any:
    try:
        from nanoflow.compiler import compile_sources
    except ImportError:
        return None
    return compile_sources


def lark_time(ctx: Context, lines: int) -> float:
    """Best-of-N bare lark parse of the generated app (cached per run and size)."""
    key = f"lark_s_{lines}"
    if key not in ctx.extras:
        parser, text = bare_lark(), app_text(lines)
        ctx.extras[key], _ = best_of(lambda: parser.parse(text), ctx.runs)
    return float(ctx.extras[key])


def compile_time(ctx: Context, lines: int) -> tuple[float, Any]:
    """Best-of-N `compile_sources` of the generated app, and the last result."""
    key = f"compile_{lines}"
    if key not in ctx.extras:
        compile_sources = compile_sources_or_none()
        source = SourceFile(f"generated_{lines}.nf", app_text(lines))
        ctx.extras[key] = best_of(lambda: compile_sources([source]), ctx.runs)
    seconds, result = ctx.extras[key]
    return float(seconds), result


def target_compile(ctx: Context) -> list[Result]:
    """compile_sources on the 20k-line app / lark's bare parse of it; phases as extra rows."""
    name = f"compile {BIG_LINES // 1000}k lines / bare lark parse"
    if compile_sources_or_none() is None:
        return [Result(name, None, COMPILE_RATIO_TARGET, skipped="no nanoflow.compiler")]
    lark_s = lark_time(ctx, BIG_LINES)
    ours_s, result = compile_time(ctx, BIG_LINES)
    diagnostics = len(getattr(result, "diagnostics", []) or [])
    detail = f"ours {ours_s:.3f} s, lark {lark_s:.3f} s, {line_count(app_text(BIG_LINES))} lines"
    if diagnostics:
        detail += f", {diagnostics} diagnostics (the generated app should compile clean)"
    rows = [Result(name, ours_s / lark_s, COMPILE_RATIO_TARGET, detail=detail)]
    timings = getattr(result, "timings", None)
    if isinstance(timings, dict):
        for phase, seconds in timings.items():
            rows.append(
                Result(
                    f"  phase {phase} / bare lark",
                    float(seconds) / lark_s,
                    detail=f"{float(seconds):.3f} s (last run)",
                )
            )
    return rows


def target_linearity(ctx: Context) -> list[Result]:
    """Time per line compiling 20k lines / time per line compiling 5k lines."""
    name = f"compile time per line, {BIG_LINES // 1000}k / {SMALL_LINES // 1000}k lines"
    if compile_sources_or_none() is None:
        return [Result(name, None, LINEARITY_TARGET, skipped="no nanoflow.compiler")]
    small_s, _ = compile_time(ctx, SMALL_LINES)
    big_s, _ = compile_time(ctx, BIG_LINES)
    small_n, big_n = line_count(app_text(SMALL_LINES)), line_count(app_text(BIG_LINES))
    ratio = (big_s / big_n) / (small_s / small_n)
    detail = (
        f"{big_s / big_n * 1e6:.1f} µs/line at {big_n} lines, "
        f"{small_s / small_n * 1e6:.1f} µs/line at {small_n} lines"
    )
    return [Result(name, ratio, LINEARITY_TARGET, detail=detail)]


def target_parse_only(ctx: Context) -> list[Result]:
    """parse_source (lark + lowering to IR) / bare lark parse, for information."""
    lark_s = lark_time(ctx, BIG_LINES)
    source = SourceFile("generated.nf", app_text(BIG_LINES))
    ours_s, parsed = best_of(lambda: parse_source(source), ctx.runs)
    module, problems = parsed if isinstance(parsed, tuple) else (None, [])
    detail = f"parse_source {ours_s:.3f} s, lark {lark_s:.3f} s"
    if module is None or problems:
        detail += f", {len(problems)} problems"
    name = f"parse_source {BIG_LINES // 1000}k lines / bare lark parse"
    return [Result(name, ours_s / lark_s, detail=detail)]


TARGETS = [
    Target("compile", "compile a generated 20k-line app vs lark's bare parse", target_compile),
    Target("linearity", "compile time per line, 20k vs 5k lines", target_linearity),
    Target("parse", "parse_source vs lark's bare parse (information)", target_parse_only),
]
