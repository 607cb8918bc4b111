"""`nanoflow check`: exit codes, rendering, plain output on a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from nanoflow.cli import app

runner = CliRunner()

BROKEN = """module Shop
entity Order { Total: Decimal }
offline { Order: all }
nanoflow Checkout($order: Order) returns Decimal {
    declare $total: Decimal = 0
    set $total = $totl + 1
    return $total
}
"""


def test_check_clean_app_exits_0(tmp_path: Path) -> None:
    (tmp_path / "a.nf").write_text("module A\nnanoflow F() { log info 'hi' }\n")
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ok: 1 file, 1 module, 1 flow" in result.output


def test_check_reports_diagnostic_with_caret_and_help(tmp_path: Path) -> None:
    path = tmp_path / "shop.nf"
    path.write_text(BROKEN)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    expected = (
        "error[NF201]: unknown variable `$totl`\n"
        f" --> {path}:6:18\n"
        "  |\n"
        "6 |     set $total = $totl + 1\n"
        "  |                  ^^^^^ not declared in nanoflow `Shop.Checkout`\n"
        "help: did you mean `$total`?\n"
    )
    assert expected in result.output
    assert "error: 1 problem found" in result.output


def test_check_bad_usage_exits_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["check", str(tmp_path / "missing.nf")]).exit_code == 2
    assert runner.invoke(app, ["check"]).exit_code == 2
    assert runner.invoke(app, ["check", str(tmp_path)]).exit_code == 2  # no .nf files


def test_console_script_prints_plain_text_on_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "shop.nf"
    path.write_text(BROKEN)
    script = Path(sys.executable).with_name("nanoflow")
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(
        [str(script), "check", str(path)], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1
    assert "\x1b[" not in done.stdout
    assert "error[NF201]" in done.stdout


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("nanoflow ")
