"""The fault points' rules (`NANOFLOW_FAULTS`): parsing, which passes act, and nothing active
without the variable."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from nanoflow.runtime import faults


@pytest.fixture
def configured() -> Iterator[None]:
    yield
    faults.configure("")


def test_entries_parse_with_their_counts() -> None:
    rules = faults.parse(" a.b=kill ; c.d=raise@2*3, e.f=sleep:0.5 ")
    assert {p: (r.action, r.nth, r.times) for p, r in rules.items()} == {
        "a.b": ("kill", 1, None), "c.d": ("raise", 2, 3), "e.f": ("sleep", 1, None),
    }  # fmt: skip
    assert rules["e.f"].seconds == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [("a.b", "is not point=action"), ("a.b=explode", "unknown action `explode`"),
     ("a.b=raise@0", "count from 1"), ("a.b=raise*x", "invalid literal")],
)  # fmt: skip
def test_bad_entries_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        faults.parse(text)
    assert "NANOFLOW_FAULTS" in str(raised.value)


def test_raise_acts_on_the_passes_it_names(configured: None) -> None:
    faults.configure("p=raise@2*2")
    assert faults.ACTIVE
    acted = []
    for _ in range(5):
        try:
            faults.fault("p")
            faults.fault("other")
            acted.append(False)
        except faults.FaultInjected as error:
            assert str(error) == "fault injected at p"
            acted.append(True)
    assert acted == [False, True, True, False, False]


def test_nothing_is_active_without_the_variable() -> None:
    code = "import nanoflow.runtime.faults as f; print(f.ACTIVE, f.RULES)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": ""}, check=True)  # fmt: skip
    assert done.stdout.strip() == "False {}"
    assert faults.parse("") == {}
