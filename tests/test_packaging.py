"""The runtime, grammar and stdlib_actions folders install under `nanoflow`, never top level."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import nanoflow


def test_every_module_imports_under_nanoflow_only() -> None:
    names = [m.name for m in pkgutil.walk_packages(nanoflow.__path__, "nanoflow.")]
    assert "nanoflow.runtime" in names
    assert "nanoflow.grammar" in names
    assert "nanoflow.stdlib_actions" in names
    for name in names:
        importlib.import_module(name)
    for bare in ("runtime", "grammar", "stdlib_actions"):
        assert bare not in sys.modules, f"`{bare}` was imported as a top-level package"


def test_grammar_and_builtin_sources_ship_as_package_data() -> None:
    from importlib import resources

    assert resources.files("nanoflow.grammar").joinpath("nanoflow.lark").is_file()
    assert resources.files("nanoflow.builtin").joinpath("system.nf").is_file()
    assert resources.files("nanoflow.stdlib_actions").joinpath("nanoflow_commons.nf").is_file()
