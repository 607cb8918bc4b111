"""The runnable examples of the user docs run as written and print what the docs show.

The blocks of one example share an option `run=NAME`:

- ```` ```python run=NAME file=F ```` is written to the file `F` first;
- ```` ```sh run=NAME ```` holds shell commands, run one by one in a temporary directory with a
  copy of `samples/`, this environment's `nanoflow` and `python` first on the PATH; a line
  ending in `&` is a server started in the background (a simple command, no shell), waited for
  until it answers;
- ```` ```text run=NAME ```` is the exact output of the last command.

The docs' port, 8080, is replaced by a free one.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from server_support import wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "docs" / "embedding.md"]
DOC_PORT = "8080"


@dataclass
class Example:
    doc: str
    name: str
    commands: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    output: str | None = None


def examples() -> list[Example]:
    found: dict[tuple[str, str], Example] = {}
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        index = 0
        while index < len(lines):
            if not lines[index].startswith("```"):
                index += 1
                continue
            info = lines[index][3:].split()
            body: list[str] = []
            index += 1
            while not lines[index].startswith("```"):
                body.append(lines[index])
                index += 1
            index += 1
            options = dict(o.split("=", 1) for o in info[1:] if "=" in o)
            if "run" not in options:
                continue
            example = found.setdefault(
                (doc.name, options["run"]), Example(doc.name, options["run"])
            )
            text = "\n".join(body) + "\n"
            if info[0] == "sh":
                example.commands += [line for line in body if line.strip()]
            elif info[0] == "python":
                example.files[options["file"]] = text
            elif info[0] == "text":
                example.output = text
    return list(found.values())


EXAMPLES = examples()


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


@pytest.fixture
def background() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def test_the_docs_have_runnable_examples() -> None:
    names = {(e.doc, e.name) for e in EXAMPLES}
    assert names >= {("embedding.md", "sync"), ("embedding.md", "local")}


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e.doc}:{e.name}" for e in EXAMPLES])
def test_doc_example_runs_as_shown(
    example: Example, tmp_path: Path, background: list[subprocess.Popen[bytes]]
) -> None:
    assert example.commands and example.output is not None
    shutil.copytree(ROOT / "samples", tmp_path / "samples", ignore=shutil.ignore_patterns(".*"))
    port = free_port()
    for name, text in example.files.items():
        (tmp_path / name).write_text(text.replace(DOC_PORT, port))
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "NO_COLOR": "1"}
    last = None
    for command in example.commands:
        command = command.replace(DOC_PORT, port)
        if command.endswith("&"):
            process = subprocess.Popen(
                shlex.split(command[:-1]), cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            background.append(process)
            wait_until_listening(port, process)
            continue
        last = subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
            check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert last.returncode == 0, f"{command}\n{last.stderr}{last.stdout}"
    assert last is not None
    assert last.stdout == example.output, last.stderr


def wait_until_listening(port: str, process: subprocess.Popen[bytes]) -> None:
    wait_until_serving(f"http://127.0.0.1:{port}", process, lambda: "the background command ended")
