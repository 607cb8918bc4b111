"""`nanoflow users ...` and `nanoflow serve` (a real uvicorn subprocess), on both databases."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from server_support import SALES, write_app
from typer.testing import CliRunner

from nanoflow.cli import app as cli
from nanoflow.compiler import load
from nanoflow.server.auth import verify_password
from nanoflow.server.database import ServerDatabase
from nanoflow.server.urls import resolve
from nanoflow.server.users import Users

runner = CliRunner()
APP = str(SALES)


def users(*args: str, db: str, input: str | None = None, env: dict[str, str] | None = None):
    return runner.invoke(cli, ["users", *args, "--db", db], input=input, env=env)


def listed(db: str) -> list[dict[str, object]]:
    result = users("list", APP, "--json", db=db)
    assert result.exit_code == 0, result.output
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def test_users_add_list_passwd_remove(db_url: str) -> None:
    added = users("add", APP, "alice", "--role", "Sales.User", "--role", "Sales.Manager",
                  "--timezone", "Europe/Amsterdam", db=db_url, input="first-pw\n")
    assert added.exit_code == 0, added.output
    assert "added user alice" in added.stderr
    env_added = users("add", APP, "bob", "--role", "Sales.User", db=db_url,
                      env={"NANOFLOW_PASSWORD": "bob-pw"})
    assert env_added.exit_code == 0, env_added.output
    people = listed(db_url)
    assert [(p["name"], p["roles"], p["active"], p["time_zone"]) for p in people] == [
        ("alice", ["Sales.User", "Sales.Manager"], True, "Europe/Amsterdam"),
        ("bob", ["Sales.User"], True, None),
    ]
    table = users("list", APP, db=db_url)
    assert table.exit_code == 0 and "alice" in table.stdout and "Sales.Manager" in table.stdout

    passwd = users("passwd", APP, "alice", db=db_url, input="second-pw\nignored\n")
    assert passwd.exit_code == 0, passwd.output

    async def stored_hash(name: str) -> str:
        target = resolve(db_url, SALES)
        async with await ServerDatabase.open(load(SALES), target) as db:
            found = await Users(db).find(name)
            assert found is not None
            return found[1]

    hashed = asyncio.run(stored_hash("alice"))
    assert verify_password("second-pw", hashed) and not verify_password("first-pw", hashed)
    assert verify_password("bob-pw", asyncio.run(stored_hash("bob")))

    removed = users("remove", APP, "alice", db=db_url)
    assert removed.exit_code == 0, removed.output
    assert [p["name"] for p in listed(db_url)] == ["bob"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", APP, "carol", "--role", "Sales.Usr"], "unknown role `Sales.Usr`: did you mean "
         "`Sales.User`?"),
        (["add", APP, "carol", "--role", "User"], "did you mean `Sales.User`?"),
        (["add", APP, "carol", "--role", "Sales.User", "--timezone", "Mars/Base"],
         "unknown time zone `Mars/Base`"),
        (["add", APP, "bob", "--role", "Sales.User"], "user `bob` exists already"),
        (["add", APP, " carol", "--role", "Sales.User"], "starts or ends with white space"),
        (["remove", APP, "nobody"], "no user `nobody`"),
        (["passwd", APP, "nobody"], "no user `nobody`"),
    ],
)
def test_users_mistakes_are_clear(tmp_path: Path, args: list[str], message: str) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert users("add", APP, "bob", "--role", "Sales.User", db=db, input="pw\n").exit_code == 0
    result = users(*args, db=db, input="pw\n")
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_empty_password_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    result = users("add", APP, "bob", "--role", "Sales.User", db=db, input="\n")
    assert result.exit_code == 1 and "password cannot be empty" in result.stderr
    assert listed(db) == []


@pytest.mark.parametrize("db", ["mysql://x/y", "sqlite://", "postgresql+psycopg2://x/y",
                                "postgresql://x/y?sslmode=require"])
def test_unusable_database_urls(db: str) -> None:
    result = users("list", APP, db=db)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")


def test_serve_refuses_the_embedded_servers_database(tmp_path: Path) -> None:
    target = resolve(str(tmp_path / "embedded.sqlite"), tmp_path)

    async def make() -> None:
        async with await ServerDatabase.open(load(SALES), target, embedded=True):
            pass

    asyncio.run(make())
    result = runner.invoke(cli, ["serve", APP, "--db", str(tmp_path / "embedded.sqlite")])
    assert result.exit_code == 1
    assert "embedded server of `nanoflow run`" in result.stderr


def test_serve_refuses_an_incompatible_model(tmp_path: Path) -> None:
    old = write_app(tmp_path / "old", "module M\nentity E { A: Integer }\nrole R\n")
    new = write_app(tmp_path / "new", "module M\nentity E { A: String }\nrole R\n")
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert users("add", str(old), "u", "--role", "M.R", db=db, input="pw\n").exit_code == 0
    result = runner.invoke(cli, ["serve", str(new), "--db", db])
    assert result.exit_code == 1
    assert "attribute M.E.A changed type from Integer to String" in result.stderr
    assert "Nothing was changed" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_in_a_real_process(db_url: str) -> None:
    added = users("add", APP, "alice", "--role", "Sales.User", db=db_url, input="alice-pw\n")
    assert added.exit_code == 0, added.output
    port = _free_port()
    script = Path(sys.executable).with_name("nanoflow")
    process = subprocess.Popen(
        [str(script), "serve", APP, "--db", db_url, "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # until it listens (or dies)
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not start listening"
            time.sleep(0.1)
        login = httpx.post(f"{base}/api/v1/login", json={"user": "alice", "password": "alice-pw"})
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        session = httpx.get(f"{base}/api/v1/session",
                            headers={"Authorization": f"Bearer {token}"})
        assert session.json()["user_name"] == "alice"
        assert httpx.get(f"{base}/api/v1/session").status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert f"at http://127.0.0.1:{port}" in err
