"""`nanoflow run` and `nanoflow eval`: parameters by type, the JSON format, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_process import nanoflow

APP = """module Shop
enumeration Status { Open 'Open' Paid 'Paid' }
entity Order {
  Number: Long
  Total: Decimal
  State: Status = Open
  PlacedAt: DateTime
  Secret: HashedString
  Note: String
}
entity Tag { Label: String }
association Order_Tags from Order to many Tag
offline { Order: all Tag: all }

nanoflow Place($order: Order, $when: DateTime, $state: Status, $rush: Boolean) returns Order {
  change $order (PlacedAt = $when, State = $state, Total = $order/Total * 2)
  if $rush { change $order (Note = 'rush') }
  commit $order
  return $order
}
nanoflow Find($number: Long) returns List of Order {
  $found = retrieve Order where [Number = $number]
  return $found
}
nanoflow Nothing() {
  log info 'hello'
}
nanoflow Fails($x: Integer) returns Integer {
  declare $y: Integer = 10
  return $y + $x
}
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "shop.nf"
    path.write_text(APP)
    return path


def test_run_prints_one_json_document_with_the_object(app: Path) -> None:
    done = nanoflow(
        "run", str(app), "Place", "--json",
        "--param", 'order={"Number": 9007199254740993, "Total": 10.10}',
        "--param", "when=2024-03-01T10:00:00+01:00",
        "--param", "state=Paid",
        "--param", "rush=true",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["$entity"] == "Shop.Order"
    assert result["Number"] == 9007199254740993
    assert result["Total"] == "20.2"
    assert result["State"] == "Paid"
    assert result["PlacedAt"] == "2024-03-01T09:00:00.000Z"
    assert result["Note"] == "rush"
    assert result["Shop.Order_Tags"] == []
    assert "Secret" not in result
    found = nanoflow("run", str(app), "Shop.Find", "--json", "--param", "number=9007199254740993")
    assert found.returncode == 0, found.stderr
    assert [o["$id"] for o in json.loads(found.stdout)["result"]] == [result["$id"]]
    by_id = nanoflow(
        "run", str(app), "Place", "--json", "--param", f"order=@{result['$id']}",
        "--param", "when=2024-03-02T00:00:00Z", "--param", "state=Open", "--param", "rush=false",
    )  # fmt: skip
    assert by_id.returncode == 0, by_id.stderr
    assert json.loads(by_id.stdout)["result"]["Total"] == "40.4"


def test_run_flow_without_result_gives_null_and_logs_on_stderr(app: Path) -> None:
    done = nanoflow("run", str(app), "Nothing", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"result": None}
    assert "hello" in done.stderr


def test_run_unhandled_error_exits_1_with_the_error_json(app: Path) -> None:
    done = nanoflow("run", str(app), "Fails", "--json", "--param", "x=")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["flow"] == "Shop.Fails"
    assert "`$x` is empty" in error["message"]
    assert (error["file"], error["line"], error["column"]) == (str(app), 30, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Missing"], "no nanoflow `Missing`"),
        (["Fails", "--param", "y=1"], "has no parameter `y`"),
        (["Fails", "--param", "x=abc"], "not an integer"),
        (["Fails", "--param", "x"], "NAME=VALUE"),
        (
            ["Place", "--param", "state=Lost", "--param", "order=null", "--param", "when=",
             "--param", "rush="],
            "not a value of Shop.Status",
        ),
        (["Fails", "--timezone", "Mars/Base"], "unknown time zone"),
    ],
)
def test_run_bad_usage_exits_2(app: Path, args: list[str], message: str) -> None:
    done = nanoflow("run", str(app), *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_run_on_a_broken_app_shows_diagnostics_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.nf"
    path.write_text("module M\nnanoflow F() { log info $nope }\n")
    done = nanoflow("run", str(path), "F")
    assert done.returncode == 2
    assert "error[NF201]" in done.stderr


@pytest.mark.parametrize(
    ("expression", "extra", "expected"),
    [
        ("round(3.456, 2) + 1", [], "4.46"),
        ("'It''s ' + toString(12 : 3)", [], "It's 4"),
        ("$o/Total * 2", ["--var", 'o={"Total": 1.25}'], "2.5"),
        ("$n + 1", ["--var", "n=41"], 42),
        (
            "$d",
            ["--var", 'd={"$date": "2007-01-01T00:00:00"}', "--timezone", "Europe/Amsterdam"],
            "2006-12-31T23:00:00.000Z",
        ),
        ("if $b then 'yes' else 'no'", ["--var", "b=true"], "yes"),
        ("empty", [], None),
    ],
)
def test_eval(expression: str, extra: list[str], expected: object) -> None:
    done = nanoflow("eval", expression, "--json", *extra)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected


def test_eval_plain_output_and_errors() -> None:
    done = nanoflow("eval", "toUpperCase('abc')")
    assert (done.returncode, done.stdout) == (0, "ABC\n")
    bad = nanoflow("eval", "1 + 'a' - 2")
    assert bad.returncode == 2
    assert "error[NF301]" in bad.stderr and "<expression>:1:1" in bad.stderr
    failing = nanoflow("eval", "1 : 0")
    assert failing.returncode == 1
    assert "division by zero" in failing.stderr


def test_rounding_setting() -> None:
    default = nanoflow("eval", "round(2.5) + round(88.725, 2)", "--json")
    even = nanoflow("eval", "round(2.5) + round(88.725, 2)", "--json", "--rounding", "half-even")
    assert (json.loads(default.stdout), json.loads(even.stdout)) == ("91.73", "90.72")


def test_eval_syntax_errors_speak_of_the_expression_only() -> None:
    early = nanoflow("eval", "1 +")
    assert early.returncode == 2
    assert "unexpected end of the expression" in early.stderr
    assert "<expression>:1:4" in early.stderr
    extra = nanoflow("eval", "x y")
    assert "expected an operator or `(`" in extra.stderr and "statement" not in extra.stderr


def test_store_shows_objects_and_pending_changes(app: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "device.sqlite")
    assert nanoflow("store", str(app), "--store", store).returncode == 2  # no store yet
    placed = nanoflow(
        "run", str(app), "Place", "--store", store, "--param", 'order={"Number": 1}',
        "--param", "when=2024-01-01T00:00:00Z", "--param", "state=Open", "--param", "rush=false",
    )  # fmt: skip
    assert placed.returncode == 0, placed.stderr
    done = nanoflow("store", str(app), "--store", store, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    counts = document["entities"]["Shop.Order"]
    assert counts == {"objects": 1, "new": 1, "changed": 0, "deleted": 0}
    assert [p["state"] for p in document["pending"]] == ["new"]
    table = nanoflow("store", str(app), "--store", store)
    assert "Shop.Order" in table.stdout
