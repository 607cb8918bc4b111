"""`nanoflow run --server URL --user U --password P` against a real `nanoflow serve` process
(LANGUAGE.md 9): login, the password from the flag or `NANOFLOW_PASSWORD`, the store bound to
its user, offline runs on the cached session; every mistake a clear message, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from device_support import APP
from server_support import wait_until_serving, write_app

NANOFLOW = str(Path(sys.executable).with_name("nanoflow"))


def nanoflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [NANOFLOW, *args], capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )  # fmt: skip
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    """A `nanoflow serve` process of the test app with two users."""

    def __init__(self, app: Path, db: Path) -> None:
        self.app, self.db = app, db
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [NANOFLOW, "serve", str(self.app), "--db", str(self.db), "--port", port],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        process = self.process
        wait_until_serving(self.url, process, lambda: process.communicate()[1])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.communicate(timeout=60)
        self.process = None


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    base = tmp_path_factory.mktemp("serve")
    app = write_app(base / "field", APP)
    db = base / "server.sqlite"
    for name, role, password in (("alice", "Field.Inspector", "s3cret"),
                                 ("bob", "Field.Manager", "hunter2")):
        added = nanoflow("users", "add", str(app), name, "--role", role, "--db", str(db),
                         env={"NANOFLOW_PASSWORD": password})
        assert added.returncode == 0, added.stderr
    server = Serve(app, db)
    server.start()
    yield server
    server.stop()


def run(serve: Serve, store: Path, flow: str, *extra: str,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return nanoflow("run", str(serve.app), flow, "--json", "--store", str(store),
                    "--server", serve.url, *extra, env=env)


def test_run_logs_in_with_the_password_flag(serve: Serve, tmp_path: Path) -> None:
    store = tmp_path / "device.sqlite"
    done = run(serve, store, "Whoami", "--user", "alice", "--password", "s3cret")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"result": "alice"}


def test_run_takes_the_password_from_the_environment(serve: Serve, tmp_path: Path) -> None:
    done = run(serve, tmp_path / "d.sqlite", "Whoami", "--user", "bob",
               env={"NANOFLOW_PASSWORD": "hunter2"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"result": "bob"}


def test_a_wrong_password_exits_2_with_a_clear_message(serve: Serve, tmp_path: Path) -> None:
    done = run(serve, tmp_path / "d.sqlite", "Whoami", "--user", "alice", "--password", "nope")
    assert done.returncode == 2
    assert "cannot log in" in done.stderr and "incorrect" in done.stderr
    assert "incorrect" in json.loads(done.stdout)["error"]["message"]  # --json: one document


def test_no_password_and_no_session_exits_2(serve: Serve, tmp_path: Path) -> None:
    done = run(serve, tmp_path / "d.sqlite", "Whoami", "--user", "alice",
               env={"NANOFLOW_PASSWORD": ""})
    assert done.returncode == 2
    assert "no password was given" in done.stderr


def test_the_store_refuses_another_user(serve: Serve, tmp_path: Path) -> None:
    store = tmp_path / "device.sqlite"
    assert run(serve, store, "NewNote", "--param", "text=mine", "--user", "alice",
               "--password", "s3cret").returncode == 0
    done = run(serve, store, "Whoami", "--user", "bob", "--password", "hunter2")
    assert done.returncode == 2
    assert "`alice`" in done.stderr and "`bob`" in done.stderr
    shown = nanoflow("store", str(serve.app), "--store", str(store), "--json")
    assert json.loads(shown.stdout)["entities"]["Field.Note"]["objects"] == 1


def test_cached_session_runs_offline_when_the_server_is_down(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    app = write_app(tmp_path / "field", APP)
    db = tmp_path / "server.sqlite"
    added = nanoflow("users", "add", str(app), "alice", "--role", "Field.Inspector",
                     "--db", str(db), env={"NANOFLOW_PASSWORD": "s3cret"})
    assert added.returncode == 0, added.stderr
    server = Serve(app, db)
    server.start()
    store = tmp_path / "device.sqlite"
    try:
        first = run(server, store, "Whoami", "--user", "alice", "--password", "s3cret")
        assert first.returncode == 0, first.stderr
    finally:
        server.stop()
    offline = run(server, store, "Whoami", "--user", "alice", "--password", "s3cret")
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout) == {"result": "alice"}
    no_password = run(server, store, "Whoami", "--user", "alice", env={"NANOFLOW_PASSWORD": ""})
    assert json.loads(no_password.stdout) == {"result": "alice"}
    ask = run(server, store, "AskSafely", "--user", "alice", env={"NANOFLOW_PASSWORD": ""})
    assert "cannot be reached" in json.loads(ask.stdout)["result"]
    fresh = run(server, tmp_path / "fresh.sqlite", "Whoami", "--user", "alice",
                "--password", "s3cret")
    assert fresh.returncode == 2
    assert "cannot be reached" in fresh.stderr and "no session of user `alice`" in fresh.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--server", "localhost:8080"], "--server takes the URL"),
        (["--password", "x"], "--password goes with --server"),
        (["--user", " "], "--user cannot be empty"),
    ],
)
def test_connection_flags_misused(tmp_path: Path, args: list[str], message: str) -> None:
    app = write_app(tmp_path / "field", APP)
    done = nanoflow("run", str(app), "Whoami", "--store", str(tmp_path / "d.sqlite"), *args)
    assert done.returncode == 2
    assert message in done.stderr
