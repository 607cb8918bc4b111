"""Test configuration: `tests/` on `sys.path` (for the generators), hypothesis profiles, and
a per-user cache of the test run's own (`NANOFLOW_CACHE_DIR`, unless one is set already).

Profiles: `dev` (default, 50 examples), `ci` (100, derandomized), `soak` (5000); pick one with
`HYPOTHESIS_PROFILE=ci`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

if "NANOFLOW_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="nanoflow-test-cache-")
    os.environ["NANOFLOW_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

_BASE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", _BASE, max_examples=50)
settings.register_profile("ci", _BASE, max_examples=100, derandomize=True, print_blob=True)
settings.register_profile("soak", _BASE, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
