"""`nanoflow run` without `--server`: the embedded server, in-process, on its own database beside
the store (LANGUAGE.md 9). The user (default `local`) is created there with every role and a
generated password kept in the store; `serve` refuses its database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from device_support import APP
from server_support import write_app

NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))


def nanoflow(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [NANOFLOW, *args], capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def result(done: subprocess.CompletedProcess[str]) -> object:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["result"]


def test_run_uses_the_embedded_server_as_the_local_user(tmp_path: Path) -> None:
    app = write_app(tmp_path / "field", APP)
    assert result(nanoflow("run", str(app), "Whoami", "--json")) == "local"
    state = app / ".nanoflow"
    assert (state / "device.sqlite").exists() and (state / "embedded-server.sqlite").exists()
    refused = nanoflow("serve", str(app), "--db", str(state / "embedded-server.sqlite"))
    assert refused.returncode == 1 and "embedded" in refused.stderr
    shown = json.loads(nanoflow("store", str(app), "--json").stdout)
    assert shown["session"]["user"] == "local" and shown["last_sync"]["mode"] == "all"
    assert result(nanoflow("run", str(app), "ManagersOnly", "--json")) is True  # every role


def test_two_devices_share_the_embedded_server(tmp_path: Path) -> None:
    app = write_app(tmp_path / "field", APP)
    first, second = tmp_path / "a" / "device.sqlite", tmp_path / "a" / "other.sqlite"
    created = nanoflow("run", str(app), "NewTask", "--param", "title=roof", "--json",
                       "--store", str(first))
    assert result(created)["Title"] == "roof"  # type: ignore[index]
    assert result(nanoflow("run", str(app), "Sync", "--json", "--store", str(first))) == "ok"
    count = nanoflow("run", str(app), "CountTasks", "--json", "--store", str(second),
                     "--user", "bob")
    assert result(count) == 1  # bob's first sync brought the task of `local`


def test_a_store_of_the_embedded_server_refuses_another_user(tmp_path: Path) -> None:
    app = write_app(tmp_path / "field", APP)
    assert result(nanoflow("run", str(app), "NewNote", "--param", "text=x", "--json")) is not None
    refused = nanoflow("run", str(app), "Whoami", "--user", "bob")
    assert refused.returncode == 2
    assert "`local`" in refused.stderr and "`bob`" in refused.stderr


def test_a_new_store_on_an_existing_embedded_server_logs_in_again(tmp_path: Path) -> None:
    app = write_app(tmp_path / "field", APP)
    assert result(nanoflow("run", str(app), "Whoami", "--json")) == "local"
    for leftover in (app / ".nanoflow").glob("device.sqlite*"):
        leftover.unlink()
    assert result(nanoflow("run", str(app), "Whoami", "--json")) == "local"


def test_sync_progress_is_silent_on_a_pipe(tmp_path: Path) -> None:
    app = write_app(tmp_path / "field", APP)
    done = nanoflow("run", str(app), "Sync")
    assert done.returncode == 0 and done.stdout == "ok\n"
    assert "synchroniz" not in done.stderr.lower()


async def test_a_store_in_use_is_refused_and_the_embedded_server_closed(tmp_path: Path) -> None:
    from nanoflow.compiler import load
    from nanoflow.runtime.store import DeviceStore

    app = write_app(tmp_path / "field", APP)
    store = tmp_path / "device.sqlite"
    held = await DeviceStore.open(store, load(app))
    try:
        done = nanoflow("run", str(app), "Whoami", "--store", str(store))
    finally:
        await held.close()
    assert done.returncode == 2
    assert f"store {store} is in use by process {os.getpid()}" in done.stderr


TAGS = """module Tags
role User
entity Tag { Name: String unique }
access Tag for User { create, read *, write * }
offline { Tag: all }
nanoflow Twins() returns Boolean {
  $a = create Tag (Name = 'x')
  $b = create Tag (Name = 'X')
  commit $a
  commit $b
  synchronize all
  return ($a = empty) != ($b = empty)
}
nanoflow Nothing() returns Integer {
  return 1
}
"""


def test_store_lists_the_users_failures_from_the_server(tmp_path: Path) -> None:
    app = write_app(tmp_path / "tags", TAGS)
    assert result(nanoflow("run", str(app), "Twins", "--json")) is True  # one refused, removed
    text = " ".join(nanoflow("store", str(app)).stdout.split())  # rich wraps long lines
    assert "1 change(s) refused by the server" in text
    assert "listed by the server" in text and "Name must be unique" in text
    # a second device of the same user never saw the refusal: the server lists it
    other = tmp_path / "tags" / ".nanoflow" / "other.sqlite"
    assert result(nanoflow("run", str(app), "Nothing", "--json", "--store", str(other))) == 1
    shown = nanoflow("store", str(app), "--json", "--store", str(other))
    assert shown.returncode == 0 and shown.stderr == ""
    [failure] = json.loads(shown.stdout)["failures"]
    assert set(failure) == {"id", "entity", "kind", "reason", "at"}
    assert failure["entity"] == "Tags.Tag" and failure["kind"] == "new"
    assert "Name must be unique" in failure["reason"]
    # without the server: what the device recorded (nothing, here), and a note saying so
    server = tmp_path / "tags" / ".nanoflow" / "embedded-server.sqlite"
    server.rename(server.with_name("moved.sqlite"))
    shown = nanoflow("store", str(app), "--json", "--store", str(other))
    assert shown.returncode == 0 and json.loads(shown.stdout)["failures"] == []
    assert "note: the sync server could not list" in shown.stderr
    assert "this device's uploads" in shown.stderr
    assert not server.exists()  # `store` never creates a server database
