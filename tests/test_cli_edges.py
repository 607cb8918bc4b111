"""The command line with careless and hostile input: numbers, stores, usage errors, help.

Every run goes through the real `nanoflow` command in a subprocess, and no output may hold a
Python traceback (`cli_process.nanoflow` checks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_process import NANOFLOW, nanoflow, no_traceback

from nanoflow.runtime.store.lock import StoreLock

APP = """module Shop
enumeration Status { Open 'Open' Paid 'Paid' }
entity Order {
  Number: Long
  Total: Decimal
  State: Status = Open
}
offline { Order: all }

nanoflow Share($total: Decimal, $parts: Integer) returns Decimal {
  return $total : $parts
}
nanoflow Summary($n: Integer, $big: Long) returns Long {
  return $n + $big
}
nanoflow Place($order: Order) returns Order {
  commit $order
  return $order
}
nanoflow Count() returns Integer {
  $all = retrieve Order
  return count($all)
}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "shop.nf"
    path.write_text(APP)
    return path


def run(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return nanoflow("run", str(app), *args)


# ---- item 1: numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "`NaN` is not a decimal number"),
        ("Infinity", "`Infinity` is not a decimal number"),
        ("-inf", "`-inf` is not a decimal number"),
        ("sNaN", "`sNaN` is not a decimal number"),
        ("1e999999999", "`1e999999999` is too large"),
        ("1e20", "does not fit a Decimal (a Decimal has at most 20 digits before the point"),
        ("-123456789012345678901", "does not fit a Decimal"),
        ("0.123456789", "does not fit a Decimal"),
        ("1_000", "`1_000` is not a decimal number"),
        ("٣", "is not a decimal number"),
    ],
)
def test_decimal_params_are_finite_and_within_mendix_range(
    app: Path, value: str, message: str
) -> None:
    done = run(app, "Share", "--param", f"total={value}", "--param", "parts=2", "--json")
    assert done.returncode == 2
    assert message in done.stderr
    assert message in json.loads(done.stdout)["error"]["message"]
    assert len(done.stdout) < 500


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99999999999999999999.99999999", "49999999999999999999.999999995"),
        ("1.10000000000", "0.55"),
        ("2e3", "1000"),
        (" 7 ", "3.5"),
    ],
)
def test_decimal_params_at_the_edges_of_the_range(app: Path, value: str, expected: str) -> None:
    done = run(app, "Share", "--param", f"total={value}", "--param", "parts=2", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"result": expected}


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("n=1_000", "`1_000` is not an integer"),
        ("n=٣", "`٣` is not an integer"),
        ("n=0x10", "is not an integer"),
        ("n=3.0", "is not an integer"),
        ("n=2147483648", "does not fit an Integer"),
        ("big=9223372036854775808", "does not fit a Long"),
        ("big=" + "1" * 5000, "does not fit a Long"),
    ],
)
def test_integer_params_follow_parse_integer(app: Path, param: str, message: str) -> None:
    name = param.split("=", 1)[0]
    other = "big=0" if name == "n" else "n=0"
    done = run(app, "Summary", "--param", param, "--param", other)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr) < 500


def test_integer_params_take_what_parse_integer_takes(app: Path) -> None:
    done = run(app, "Summary", "--param", "n=+3", "--param", "big= 9223372036854775800 ")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "9223372036854775803\n"


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ('{"Total": NaN}', "NaN is not a number"),
        ('{"Total": Infinity}', "Infinity is not a number"),
        ('{"Total": 1e30}', "does not fit a Decimal"),
        ('{"Number": 99999999999999999999}', "does not fit a Long"),
    ],
)
def test_json_objects_in_params_refuse_nan_and_huge_numbers(
    app: Path, order: str, message: str
) -> None:
    done = run(app, "Place", "--param", f"order={order}")
    assert done.returncode == 2
    assert message in done.stderr


@pytest.mark.parametrize(
    ("var", "message"),
    [
        ("x=Infinity", "Infinity is not a number"),
        ("x=-Infinity", "-Infinity is not a number"),
        ("x=NaN", "NaN is not a number"),
        ("x=1e999999999", "is too large"),
        ("x=1e25", "does not fit a Decimal"),
        ("x=0.000000001", "does not fit a Decimal"),
        ("x=99999999999999999999", "does not fit a Long"),
        ("x=" + "1" * 5000, "does not fit a Long"),
        ('x={"a": NaN}', "NaN is not a number"),
        ('x={"a": 1e30}', "does not fit a Decimal"),
        ("$x=1", "without `$`"),
    ],
)
def test_eval_vars_refuse_nan_infinities_and_huge_numbers(var: str, message: str) -> None:
    done = nanoflow("eval", "$x * 0", "--var", var)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr) < 500


def test_eval_var_given_twice_is_refused() -> None:
    done = nanoflow("eval", "$x", "--var", "x=1", "--var", "x=2")
    assert done.returncode == 2
    assert "--var x is given twice" in done.stderr


# ---- item 1: stores that cannot be -----------------------------------------------------------


def _store_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database\n")
    directory = tmp_path / "folder"
    directory.mkdir()
    fake = tmp_path / "fake.sqlite"
    fake.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    return {
        "text file": (text, "is not a device store (not an SQLite database)"),
        "directory": (directory, "it is a directory"),
        "file as parent": (text / "device.sqlite", "is not a directory"),
        "impossible path": (Path("/proc/nanoflow-nope/device.sqlite"), "cannot create"),
        "corrupt database": (fake, "cannot open the store"),
    }


@pytest.mark.parametrize(
    "case", ["text file", "directory", "file as parent", "impossible path", "corrupt database"]
)
def test_a_store_that_cannot_be_gives_one_line(app: Path, tmp_path: Path, case: str) -> None:
    store, message = _store_cases(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run(app, "Count", "--store", str(store))
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray .lock or store


def test_store_command_reads_while_a_flow_holds_the_store(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "device.sqlite"
    placed = run(app, "Place", "--store", str(store), "--param", 'order={"Number": 1}')
    assert placed.returncode == 0, placed.stderr
    lock = StoreLock(store)
    lock.acquire()  # as a running flow holds it
    try:
        done = nanoflow("store", str(app), "--store", str(store), "--json")
    finally:
        lock.release()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entities"]["Shop.Order"]["objects"] == 1


def test_store_command_refuses_a_store_of_another_model(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "device.sqlite"
    assert run(app, "Count", "--store", str(store)).returncode == 0
    app.write_text(APP.replace("  Number: Long\n", "  Number: Long\n  Note: String\n"))
    done = nanoflow("store", str(app), "--store", str(store))
    assert done.returncode == 2
    assert "another version of the app's model" in done.stderr


def test_run_waits_for_a_store_in_use(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "device.sqlite"
    lock = StoreLock(store)
    lock.acquire()
    process = subprocess.Popen(
        [NANOFLOW, "run", str(app), "Count", "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NANOFLOW_STORE_WAIT": "120"},
    )
    assert process.stderr is not None
    waiting = process.stderr.readline()  # the run says it waits, then waits
    lock.release()
    out, err = process.communicate(timeout=120)
    done = no_traceback(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    assert "waiting: store" in waiting and "is in use by process" in waiting
    assert (done.returncode, done.stdout) == (0, "0\n")


def test_run_gives_up_on_a_store_that_stays_in_use(app: Path, tmp_path: Path) -> None:
    store = tmp_path / "device.sqlite"
    lock = StoreLock(store)
    lock.acquire()
    try:
        done = nanoflow(
            "run", str(app), "Count", "--store", str(store), env={"NANOFLOW_STORE_WAIT": "0"}
        )
    finally:
        lock.release()
    assert done.returncode == 2
    assert f"is in use by process {os.getpid()}" in done.stderr


# ---- item 1: the last resort -----------------------------------------------------------------

CRASH = """
import sys
import nanoflow.commands
def broken(*args, **kwargs):
    raise RuntimeError("a bug")
nanoflow.commands.eval_command = broken
from nanoflow.cli import main
sys.argv = ["nanoflow", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("json_out", [False, True])
def test_an_internal_error_is_one_line_and_a_report(json_out: bool) -> None:
    args = ["eval", "1", *(["--json"] if json_out else [])]
    done = no_traceback(
        subprocess.run(
            [sys.executable, "-c", CRASH, *args], capture_output=True, text=True, check=False
        )
    )
    assert done.returncode == 70
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("internal error: nanoflow failed unexpectedly (RuntimeError)")
    report = Path(done.stderr.rsplit("the full report is in ", 1)[1].strip())
    try:
        text = report.read_text()
        assert "RuntimeError: a bug" in text and "Traceback" in text
        assert "command: nanoflow eval 1" in text
    finally:
        report.unlink()
    if json_out:
        assert "internal error (RuntimeError)" in json.loads(done.stdout)["error"]["message"]
    else:
        assert done.stdout == ""


# ---- item 4: flows and parameters ------------------------------------------------------------


def test_run_without_a_flow_lists_the_nanoflows(app: Path) -> None:
    done = run(app)
    assert done.returncode == 2
    assert "name the nanoflow to run" in done.stderr
    assert "Shop.Share($total: Decimal, $parts: Integer) returns Decimal" in done.stderr
    assert "Shop.Count() returns Integer" in done.stderr
    as_json = run(app, "--json")
    assert json.loads(as_json.stdout)["error"]["flows"] == [
        "Shop.Count",
        "Shop.Place",
        "Shop.Share",
        "Shop.Summary",
    ]


def test_a_misspelled_flow_gets_a_did_you_mean(app: Path) -> None:
    done = run(app, "Sumary")
    assert done.returncode == 2
    assert "no nanoflow `Sumary`" in done.stderr
    assert "help: did you mean `Summary`?" in done.stderr
    qualified = run(app, "Shop.Sumary")
    assert "help: did you mean `Shop.Summary`?" in qualified.stderr
    unlike = run(app, "Xyzzy")
    assert "Shop.Count() returns Integer" in unlike.stderr  # no close name: the list


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["$n=1", "big=2"], "--param names the parameter without `$`: `n=...`, not `$n=...`"),
        (["n=1", "n=2", "big=2"], "--param n is given twice"),
        (["n=1"], "`Shop.Summary` needs --param for `big`"),
        ([], "`Shop.Summary` needs --param for `n`, `big`"),
        (["nn=1", "big=2"], "did you mean `n`?"),
    ],
)
def test_parameter_mistakes_are_named(app: Path, params: list[str], message: str) -> None:
    args = [arg for p in params for arg in ("--param", p)]
    done = run(app, "Summary", *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_missing_parameters_are_listed_with_their_types(app: Path) -> None:
    done = run(app, "Summary", "--param", "n=1", "--json")
    assert done.returncode == 2
    assert "its parameters: Shop.Summary($n: Integer, $big: Long) returns Long" in done.stderr
    assert json.loads(done.stdout)["error"]["missing"] == ["big"]
    explicit = run(app, "Summary", "--param", "n=1", "--param", "big=")
    assert explicit.returncode == 1  # `big=` is empty on purpose: the flow itself fails
    assert "is empty" in explicit.stderr


# ---- item 5: reading well --------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["eval"], ["check"], ["store"], ["serve"], ["users"], ["users", "add"]],
)
def test_help_names_values_in_words(command: list[str]) -> None:
    done = nanoflow(*command, "-h")
    assert done.returncode == 0
    long = nanoflow(*command, "--help")
    assert long.stdout == done.stdout
    for word in ("<list[str]>", "<bool>", "<str>", "<path>", "{path}", "{APP}", "[default: None]"):
        assert word not in done.stdout


def test_run_help_says_what_timezone_and_rounding_take() -> None:
    text = " ".join(nanoflow("run", "--help").stdout.replace("│", " ").split())
    assert "Usage: nanoflow run [OPTIONS] APP [FLOW]" in text
    assert "--param NAME=VALUE" in text
    assert "an IANA name such as Europe/Amsterdam (default: UTC)" in text
    assert "half_even" in text


@pytest.mark.parametrize("spelling", ["half_even", "half-even", "HALF_EVEN"])
def test_rounding_takes_the_python_api_spelling(spelling: str) -> None:
    done = nanoflow("eval", "round(2.5)", "--rounding", spelling)
    assert (done.returncode, done.stdout) == (0, "2\n")


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--json"],
        ["run", "--json", "APP", "Flow", "--bogus"],
        ["eval", "1", "--json", "--rounding", "up"],
        ["eval", "--json", "1 +"],
        ["eval", "--json", "$x", "--var", "x=NaN"],
    ],
)
def test_usage_errors_under_json_print_one_json_document(args: list[str]) -> None:
    done = nanoflow(*args)
    assert done.returncode == 2
    assert done.stdout.count("\n") == 1
    assert json.loads(done.stdout)["error"]["message"]
    assert done.stderr.startswith("error")


def test_compile_errors_under_json_print_one_json_document(tmp_path: Path) -> None:
    path = tmp_path / "bad.nf"
    path.write_text("module M\nnanoflow F() { log info $nope }\n")
    done = nanoflow("run", str(path), "F", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["message"] == "the app has 1 problem"
    assert "NF201" in error["diagnostics"][0]


def test_bare_command_prints_help_and_exits_2() -> None:
    done = nanoflow()
    assert done.returncode == 2
    assert "Usage: nanoflow [OPTIONS] COMMAND" in done.stdout + done.stderr



# ---- item 1: values of the wrong kind inside JSON --------------------------------------------

DATED = APP.replace("  State: Status = Open\n", "  State: Status = Open\n  PlacedAt: DateTime\n")


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ('{"PlacedAt": 5}', "`5` is not a DateTime"),
        ('{"Total": true}', "`true` is not a Decimal"),
        ('{"Number": 1.5}', "`1.5` is not a Long"),
        ('{"State": 5}', "`5` is not a Shop.Status"),
        ('{"Number": {"$date": "2020-01-01"}}', "a Long is not given as an object"),
        ('{"PlacedAt": "0001-01-01T00:00:00+14:00"}', "outside the years 1 to 9999"),
    ],
)
def test_json_members_of_the_wrong_kind_are_usage_errors(
    tmp_path: Path, order: str, message: str
) -> None:
    app = tmp_path / "shop.nf"
    app.write_text(DATED)
    done = run(app, "Place", "--param", f"order={order}")
    assert done.returncode == 2
    assert message in done.stderr


@pytest.mark.parametrize(
    ("var", "message"),
    [
        ('d=[{"a": 1}, {"a": "x"}]', "`x` is not an integer"),
        ('d="\\ud800"', "unpaired surrogate"),
        ('d={"$date": "0001-01-01T00:00:00+14:00"}', "outside the years 1 to 9999"),
    ],
)
def test_eval_vars_of_the_wrong_kind_are_usage_errors(var: str, message: str) -> None:
    done = nanoflow("eval", "$d", "--var", var)
    assert done.returncode == 2
    assert message in done.stderr
