"""The house rules, read from the source: no import circle among delphi/ and framework/ modules (imports inside
functions and under TYPE_CHECKING count too), services never import a blueprint, the service packages import one
way, stats/ and framework/ stay free of Flask and the database, and route modules stay small.

Edges are the modules an import statement names: `from delphi.services.studies import rounds` is an edge to
delphi.services.studies.rounds, `from delphi.db import utcnow` an edge to delphi.db. A package's __init__ running
before its submodules is Python's doing, not an edge (every module would otherwise depend on delphi/__init__).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("delphi", "framework")
BLUEPRINTS = ("admin", "api", "assessor", "auth", "expert", "organiser", "public")
# Which service packages each may import (besides itself); see delphi/services/__init__.py.
SERVICE_LAYERS: dict[str, set[str]] = {
    "accounts": set(),
    "prepared": set(),
    "frameworks": {"accounts"},
    "studies": {"accounts", "frameworks", "prepared"},
    "release": {"accounts", "frameworks", "studies", "prepared"},
    "assessments": {"accounts", "frameworks", "prepared"},
    "operations": {"accounts", "frameworks", "studies", "release", "assessments", "prepared"},
}
FLASK_OR_DATABASE = ("flask", "flask_login", "flask_wtf", "flask_sqlalchemy", "flask_migrate", "flask_limiter",
                     "werkzeug", "sqlalchemy", "alembic", "psycopg", "redis")
MAX_ROUTE_MODULE_LINES = 400


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def discover(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Every module of the packages: dotted name -> source."""
    return {module_name(p, root): p.read_text(encoding="utf-8")
            for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def imported_names(source: str, module: str, is_package: bool) -> list[tuple[str, str]]:
    """What each name of each import statement of `source` refers to, anywhere in the file (functions
    included): (X.Y, X) for `from X import Y` (Y may be a module or a name in X), (X, X) for `import X`."""
    names: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend((alias.name, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            names.extend((f"{base}.{alias.name}", base) for alias in node.names)
    return names


def import_graph(modules: Mapping[str, str]) -> dict[str, set[str]]:
    """module -> the project modules it imports (names outside the project are dropped)."""
    graph: dict[str, set[str]] = {}
    for module, source in modules.items():
        is_package = any(m.startswith(module + ".") for m in modules)
        targets: set[str] = set()
        for full, base in imported_names(source, module, is_package):
            name = full if full in modules else base
            while name and name not in modules:  # `import a.b.c` of a project module a.b
                name = name.rpartition(".")[0]
            if name:
                targets.add(name)
        graph[module] = targets - {module}
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def a_path(graph: Mapping[str, set[str]], start: str, members: set[str]) -> list[str]:
    """One circle through `start` inside a component, for a readable failure."""
    path, seen = [start], {start}
    while True:
        nxt = sorted(t for t in graph[path[-1]] if t in members)
        back = [t for t in nxt if t == start]
        if back and len(path) > 1:
            return path + [start]
        fresh = [t for t in nxt if t not in seen]
        if not fresh:
            return path + nxt[:1]
        path.append(fresh[0])
        seen.add(fresh[0])


def all_imported_names(modules: Mapping[str, str], module: str) -> set[str]:
    is_package = any(m.startswith(module + ".") for m in modules)
    return {name for pair in imported_names(modules[module], module, is_package) for name in pair}


def blueprint_imports_of_services(modules: Mapping[str, str]) -> dict[str, list[str]]:
    """Service modules that import a blueprint module or the request-bound state of Flask."""
    bad = {}
    for module in modules:
        if not module.startswith("delphi.services"):
            continue
        hits = sorted(n for n in all_imported_names(modules, module)
                      if (n.split(".")[:1] == ["delphi"] and len(n.split(".")) > 1 and n.split(".")[1] in BLUEPRINTS)
                      or n in ("flask.request", "flask.session", "flask.g", "flask_login.current_user"))
        if hits:
            bad[module] = hits
    return bad


def layer_violations(graph: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """Imports from one service package into another that SERVICE_LAYERS does not allow."""
    bad: dict[str, list[str]] = {}
    for module, targets in graph.items():
        parts = module.split(".")
        if parts[:2] != ["delphi", "services"] or len(parts) < 3:
            continue
        for target in sorted(targets):
            tparts = target.split(".")
            if tparts[:2] == ["delphi", "services"] and len(tparts) > 2 and tparts[2] != parts[2] \
                    and tparts[2] not in SERVICE_LAYERS.get(parts[2], set()):
                bad.setdefault(module, []).append(target)
    return bad


def impurities(modules: Mapping[str, str], package: str) -> dict[str, set[str]]:
    """Imports of Flask, the database or the application in a pure library."""
    bad: dict[str, set[str]] = {}
    for module in modules:
        if module != package and not module.startswith(package + "."):
            continue
        for name in all_imported_names(modules, module):
            root = name.split(".")[0]
            app = root == "delphi" and not (package == "delphi.stats" and name.startswith("delphi.stats"))
            if root in FLASK_OR_DATABASE or app:
                bad.setdefault(module, set()).add(name)
    return bad


MODULES = discover()
GRAPH = import_graph(MODULES)


# --------------------------------------------------------------------------------------------------------------
# The project


def test_the_graph_sees_the_whole_project():
    assert len(MODULES) > 80
    assert {"delphi.services.studies.results", "delphi.services.studies.round_lock"} <= GRAPH[
        "delphi.services.studies.rounds"]
    assert "delphi.services.studies.round_lock" in GRAPH["delphi.services.studies.ratings"]
    assert "delphi.services.operations.backup" in GRAPH["delphi.backup_cli"]  # an import inside a function


def test_no_import_circle_among_delphi_and_framework_modules():
    problems = [" -> ".join(a_path(GRAPH, c[0], set(c))) for c in circles(GRAPH)]
    assert problems == [], "import circles:\n" + "\n".join(problems)


def test_no_service_imports_a_blueprint_or_the_request():
    assert blueprint_imports_of_services(MODULES) == {}


def test_service_packages_import_one_way():
    assert layer_violations(GRAPH) == {}


def test_every_service_package_is_layered_and_says_what_it_owns():
    packages = sorted(p.name for p in (ROOT / "delphi" / "services").iterdir()
                      if p.is_dir() and (p / "__init__.py").exists())
    assert packages == sorted(SERVICE_LAYERS)
    for name in packages:
        doc = ast.get_docstring(ast.parse(MODULES[f"delphi.services.{name}"]))
        assert doc and "May import" in doc, f"delphi/services/{name}/__init__.py needs a docstring saying what it owns"
    loose = sorted(p.name for p in (ROOT / "delphi" / "services").glob("*.py") if p.name != "__init__.py")
    assert loose == [], "every service module belongs to a package"


@pytest.mark.parametrize("package", ["delphi.stats", "framework"])
def test_pure_libraries_import_no_flask_and_no_database(package):
    assert any(m.startswith(package) for m in MODULES)
    assert impurities(MODULES, package) == {}


def test_route_modules_stay_small():
    sizes = {module: source.count("\n") for module, source in MODULES.items()
             if module.startswith("delphi.") and module.split(".")[1] in BLUEPRINTS}
    assert len(sizes) >= 15, "the blueprint modules were not found"
    assert {m: n for m, n in sizes.items() if n > MAX_ROUTE_MODULE_LINES} == {}


# --------------------------------------------------------------------------------------------------------------
# The checks themselves can fail


def test_a_circle_through_an_import_inside_a_function_is_found():
    modules = {
        "app": "",
        "app.rounds": "from app import results\n",
        "app.results": "def compute():\n    from app import ratings\n",
        "app.ratings": "from app.rounds import claim\n",
        "app.audit": "",
    }
    graph = import_graph(modules)
    assert graph["app.results"] == {"app.ratings"}
    assert graph["app.ratings"] == {"app.rounds"}
    assert circles(graph) == [["app.ratings", "app.results", "app.rounds"]]
    assert a_path(graph, "app.ratings", {"app.ratings", "app.results", "app.rounds"}) == [
        "app.ratings", "app.rounds", "app.results", "app.ratings"]


def test_type_checking_and_relative_imports_count():
    modules = {
        "lib": "",
        "lib.analysis": "from lib.export import records\n",
        "lib.export": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .analysis import Analysis\n",
    }
    assert circles(import_graph(modules)) == [["lib.analysis", "lib.export"]]


def test_a_blueprint_init_importing_its_routes_back_is_a_circle():
    modules = {"web": "", "web.expert": "bp = 1\nfrom web.expert import routes\n",
               "web.expert.routes": "from web.expert import bp\n"}
    assert circles(import_graph(modules)) == [["web.expert", "web.expert.routes"]]
    fixed = {"web": "", "web.expert": "from web.expert.routes import bp\n", "web.expert.routes": "bp = 1\n"}
    assert circles(import_graph(fixed)) == []


def test_a_service_importing_a_blueprint_or_the_request_is_found():
    modules = {"delphi.services.studies.rounds": "from delphi.organiser.responses import fail\n",
               "delphi.services.studies.panel": "def f():\n    from flask import request\n",
               "delphi.services.studies.ratings": "from delphi.models import Round\nfrom flask import current_app\n"}
    assert blueprint_imports_of_services(modules) == {
        "delphi.services.studies.rounds": ["delphi.organiser.responses", "delphi.organiser.responses.fail"],
        "delphi.services.studies.panel": ["flask.request"]}


def test_an_import_against_the_layers_is_found():
    graph = {"delphi.services.accounts.users": {"delphi.services.studies.panel"},
             "delphi.services.studies.panel": {"delphi.services.accounts.users"},
             "delphi.services.assessments.results": {"delphi.services.release.report"}}
    assert layer_violations(graph) == {
        "delphi.services.accounts.users": ["delphi.services.studies.panel"],
        "delphi.services.assessments.results": ["delphi.services.release.report"]}


def test_flask_or_the_database_in_a_pure_library_is_found():
    modules = {"framework": "", "framework.io": "def f():\n    from sqlalchemy import select\n",
               "framework.diff": "from delphi.models import Level\n", "framework.model": "import json\n",
               "delphi.stats": "", "delphi.stats.rules": "from delphi.stats.config import X\nimport flask\n"}
    assert impurities(modules, "framework") == {"framework.io": {"sqlalchemy", "sqlalchemy.select"},
                                                "framework.diff": {"delphi.models", "delphi.models.Level"}}
    assert impurities(modules, "delphi.stats") == {"delphi.stats.rules": {"flask"}}
