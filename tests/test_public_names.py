"""No two public classes of the package share a name: `nanoflow.X` and an inner `X` that is
something else confuse readers, tracebacks and `isinstance` checks alike."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import nanoflow

# Each entry names a class that may still be defined twice, with a comment saying why (none
# today: the program/session split renamed the inner `Runtime` to `Session`, and the server's
# authenticated `Session` is `Authenticated`).
ALLOWED: set[str] = set()


def public_classes() -> dict[str, list[str]]:
    """Class name → the modules of the package that define a public class of that name."""
    found: dict[str, list[str]] = defaultdict(list)
    for module_info in pkgutil.walk_packages(nanoflow.__path__, "nanoflow."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[name].append(module.__name__)
    return found


def test_scan_sees_the_runtime_and_the_actions() -> None:
    modules = {m for ms in public_classes().values() for m in ms}
    assert {"nanoflow.ir", "nanoflow.runtime.values", "nanoflow.api"} <= modules
    assert any(m.startswith("nanoflow.runtime.store.") for m in modules)


def test_no_two_public_classes_share_a_name() -> None:
    shared = {
        name: modules
        for name, modules in public_classes().items()
        if len(modules) > 1 and name not in ALLOWED
    }
    assert shared == {}


def test_allow_list_is_not_stale() -> None:
    classes = public_classes()
    assert all(len(classes.get(name, [])) > 1 for name in ALLOWED)
