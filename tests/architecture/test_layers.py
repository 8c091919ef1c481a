"""The picture of the house, checked: layers import downwards only, without cycles; SQL lives
in ``db/`` (and ``services/`` until the seams issue moves the rest); settings are read at the
front ends only. Read from the source (``ast``), nothing imported, no database."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "gis_service"

# a layer may not import these (lazy imports inside functions count too)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("services", "db", "api", "notebook", "cli", "maps", "fileio", "config", "web"),
    "fileio": ("services", "db", "api", "notebook", "cli", "maps", "config"),
    "maps": ("services", "db", "api", "notebook", "cli", "config"),
    "reports": ("services", "db", "api", "notebook", "cli", "config"),
    "db": ("services", "api", "notebook", "cli", "maps"),
    "services": ("api", "notebook", "cli"),
    "notebook": ("api", "cli"),
    "api": ("notebook", "cli"),
}

# where settings are read: the front ends (API, CLI, the notebook's connection) and config
SETTINGS_READERS = ("api/", "cli.py", "cli_", "notebook/_connection.py", "config.py")
# no exceptions: every caller passes its settings' values down
SETTINGS_TEMPORARY: tuple[str, ...] = ()

SQL = re.compile(r"\b(SELECT\s|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b)")
# the stores, the services (until the seams issue moves the rest) and the Alembic revisions
# (schema changes are SQL by nature; they ship in the package)
SQL_HOMES = ("db/", "services/", "migrations/")
# nothing outside the stores needs SQL today; an entry here says why it cannot move
SQL_ALLOWED: tuple[str, ...] = ()


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


MODULES = dict(_modules())


def _name(rel: str) -> str:
    parts = ["gis_service", *rel.removesuffix(".py").split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(rel: str, tree: ast.Module, *, top_level_only: bool) -> set[str]:
    """Modules of gis_service that ``rel`` imports (relative imports resolved)."""
    package = _name(rel) if rel.endswith("__init__.py") else _name(rel).rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    known = {_name(r) for r in MODULES}
    return {m for m in out if m in known}


def _layer(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return "cli" if top.startswith("cli") else top


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_from_a_lower_layer_to_a_higher_one(layer):
    wrong = sorted(
        f"{rel} imports {target}"
        for rel, tree in MODULES.items()
        if _layer(_name(rel)) == layer
        for target in _imports(rel, tree, top_level_only=False)
        if _layer(target) in FORBIDDEN[layer]
    )
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    """Module-level imports form no cycle (a function-level import is the deliberate way to
    break one: it runs after both modules are loaded)."""
    graph = {_name(rel): _imports(rel, tree, top_level_only=True) for rel, tree in MODULES.items()}
    for module in graph:  # a package's own submodules are not a cycle with its __init__
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal but docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_no_sql_outside_db_and_services():
    found = []
    for rel, tree in MODULES.items():
        if rel.startswith(SQL_HOMES) or rel in SQL_ALLOWED:
            continue
        for line, value in _strings(tree):
            if SQL.search(value):  # the project writes SQL keywords in capitals
                found.append(f"{rel}:{line}: {value[:60]!r}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "text"
                and _imports_sqlalchemy_text(tree)
            ):
                found.append(f"{rel}:{node.lineno}: text(...)")
    assert not found, "SQL belongs in gis_service/db:\n" + "\n".join(found)


def _imports_sqlalchemy_text(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("sqlalchemy")
        and any(a.name == "text" for a in node.names)
        for node in ast.walk(tree)
    ) or any(
        isinstance(node, ast.Import) and any(a.name == "sqlalchemy" for a in node.names)
        for node in ast.walk(tree)
    )


def test_settings_are_read_at_the_front_ends_only():
    readers = []
    for rel, tree in MODULES.items():
        if rel.startswith(SETTINGS_READERS) or rel in SETTINGS_TEMPORARY:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            ) in ("get_settings", "Settings"):
                readers.append(f"{rel}:{node.lineno}")
    assert not readers, "pass the front end's settings down instead:\n" + "\n".join(readers)


def test_the_temporary_allow_list_is_still_needed():
    """Each temporary entry still reads settings: once it stops, it leaves the list."""
    for rel in SETTINGS_TEMPORARY:
        calls = [
            node
            for node in ast.walk(MODULES[rel])
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "get_settings"
        ]
        assert calls, f"{rel} no longer reads settings: remove it from SETTINGS_TEMPORARY"


def test_the_checks_see_what_they_look_for():
    """The scanners find a planted violation (a test that cannot fail proves nothing)."""
    planted = ast.parse(
        "from sqlalchemy import text\n"
        "from gis_service.config import get_settings\n"
        "def f(conn):\n"
        "    get_settings()\n"
        "    return conn.execute(text('SELECT 1'))\n"
    )
    assert any(SQL.search(value) for _, value in _strings(planted))
    assert _imports_sqlalchemy_text(planted)
    assert _imports("services/x.py", planted, top_level_only=False) >= {"gis_service.config"}
