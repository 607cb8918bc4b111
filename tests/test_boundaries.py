"""Import boundaries (ARCHITECTURE.md "Boundaries"), checked statically on every module's AST,
including imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nanoflow"
# modules of nanoflow/ that glue the front end to the runtime or the server
GLUE = {
    "__init__", "api", "cli", "cli_failures", "cli_host", "cli_server", "commands", "embedded",
    "evaluate", "local_server",
}
SUBPACKAGES = {"runtime", "server", "protocol", "stdlib_actions", "grammar", "builtin"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module an import statement of the file names (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(
        ".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def files_of(group: str) -> list[Path]:
    if group == "front end":
        return [
            p for p in PACKAGE.rglob("*.py")
            if p.relative_to(PACKAGE).parts[0] not in SUBPACKAGES
            and not (len(p.relative_to(PACKAGE).parts) == 1 and p.stem in GLUE)
        ]
    if group == "device runtime":
        return [*(PACKAGE / "runtime").rglob("*.py"), *(PACKAGE / "stdlib_actions").rglob("*.py")]
    return list((PACKAGE / group).rglob("*.py"))


def hits(imported: set[str], forbidden: tuple[str, ...]) -> set[str]:
    return {m for m in imported for f in forbidden if m == f or m.startswith(f + ".")}


RULES = [
    ("device runtime", ("fastapi", "starlette", "uvicorn", "sqlalchemy", "asyncpg",
                        "nanoflow.server")),
    ("protocol", ("nanoflow.server", "nanoflow.runtime", "fastapi", "starlette", "sqlalchemy",
                  "aiosqlite", "asyncpg", "httpx")),
    ("server", ("aiosqlite",)),
    ("front end", ("nanoflow.runtime", "nanoflow.server", "fastapi", "starlette", "sqlalchemy",
                   "aiosqlite", "asyncpg", "uvicorn", "httpx")),
]


@pytest.mark.parametrize(("group", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_boundary(group: str, forbidden: tuple[str, ...]) -> None:
    files = files_of(group)
    assert files, f"no modules found for {group}"
    broken = {
        str(path.relative_to(PACKAGE.parent)): sorted(found)
        for path in files
        if (found := hits(imports_of(path), forbidden))
    }
    assert broken == {}, f"{group} imports what it must not: {broken}"


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = PACKAGE / "cli.py"
    assert "nanoflow.commands" in imports_of(sample)  # imported inside a command function
    assert {"nanoflow.server.database", "nanoflow.server.database.ServerDatabase"} <= \
        imports_of(PACKAGE / "server" / "users.py")
    relative = PACKAGE / "server" / "__init__.py"
    assert "nanoflow.server.errors" in imports_of(relative)
