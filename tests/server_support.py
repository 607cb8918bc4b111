"""Helpers of the server tests (tests/server/)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SALES = ROOT / "samples" / "sales"
PG_ENV = "NANOFLOW_TEST_PG_URL"


def pg_admin_url() -> str:
    """The PostgreSQL URL of the tests; skips without one, fails under CI without one."""
    url = os.environ.get(PG_ENV, "").strip()
    if not url:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(f"{PG_ENV} is not set: under CI the PostgreSQL tests must run")
        pytest.skip(f"{PG_ENV} is not set")
    return url


def write_app(directory: Path, text: str) -> Path:
    """An app of one file `app.nf` in a directory; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.nf").write_text(text, encoding="utf-8")
    return directory


def wait_until_serving(url: str, process: subprocess.Popen[Any], log: Callable[[], str]) -> None:
    """Block until `nanoflow serve` at `url` answers `/openapi.json` (60 s at most); fail with
    `log()` when the process ends first."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"nanoflow serve at {url} ended: {log()}"
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"nanoflow serve at {url} did not answer: {log()}"
        time.sleep(0.1)
