"""One Ctrl-C stops any flow: a real `nanoflow run` in a subprocess gets one SIGINT while it
spins in a loop that never awaits, or while it works the store. Committed work stays,
uncommitted work is dropped, the store's lock is free, and the run says `interrupted` and
exits 130."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from cli_process import NANOFLOW, nanoflow, no_traceback

APP = """module Shop
entity Order { Number: Long }
offline { Order: all }

nanoflow Spin() returns Integer {
  $kept = create Order (Number = 1)
  commit $kept
  change $kept (Number = 2)
  $dropped = create Order (Number = 3)
  log info 'started'
  declare $i: Integer = 0
  while true {
    set $i = ($i + 1) mod 1000
  }
  return $i
}

nanoflow Churn() returns Integer {
  $kept = create Order (Number = 1)
  commit $kept
  change $kept (Number = 2)
  log info 'started'
  declare $n: Integer = 0
  while true {
    $all = retrieve Order
    set $n = count($all)
  }
  return $n
}

nanoflow Numbers() returns List of Order {
  $all = retrieve Order sort by Number
  return $all
}
"""


def interrupt(*args: str) -> subprocess.CompletedProcess[str]:
    """Start `nanoflow ARGS`, wait for the flow's first log line, send one SIGINT."""
    process = subprocess.Popen(
        [NANOFLOW, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    first = process.stderr.readline()
    assert "started" in first, first
    process.send_signal(signal.SIGINT)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("one SIGINT did not stop the run")
    return no_traceback(subprocess.CompletedProcess(process.args, process.returncode, out, err))


@pytest.mark.parametrize("flow", ["Spin", "Churn"])
@pytest.mark.parametrize("json_out", [False, True])
def test_one_ctrl_c_stops_the_flow(tmp_path: Path, flow: str, json_out: bool) -> None:
    app = tmp_path / "shop.nf"
    app.write_text(APP)
    store = tmp_path / "device.sqlite"
    extra = ["--json"] if json_out else []
    done = interrupt("run", str(app), flow, "--store", str(store), *extra)
    assert done.returncode == 130
    assert done.stderr.strip().splitlines()[-1] == "interrupted"
    if json_out:
        assert json.loads(done.stdout) == {"error": {"message": "interrupted"}}
    else:
        assert done.stdout == ""
    after = nanoflow("run", str(app), "Numbers", "--store", str(store), "--json")
    assert after.returncode == 0, after.stderr  # the lock is free again
    numbers = [o["Number"] for o in json.loads(after.stdout)["result"]]
    assert numbers == [1]  # committed kept; the uncommitted change and object dropped
